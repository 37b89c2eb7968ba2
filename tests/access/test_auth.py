"""Sign-in: lockout, the password hasher, the second factor and the security headers.

Everything goes through the real views and the whole middleware stack, from a test client
that sends a client address (django-axes locks a username and address pair).
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import json
import re
import secrets
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import totp

from safesocial.audit.models import AuditEntry
from safesocial.audit.services import canonical_bytes
from tests.conftest import TOTP_SECRET, Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

PASSWORD = "correct horse battery staple"
ADDRESS = "192.0.2.10"
LOGIN = "/accounts/login/"
TWO_FACTOR = "/accounts/two-factor/"
# Half-way through a TOTP step, so the codes below are fixed for the whole test.
NOW = dt.datetime(2030, 1, 15, 10, 0, 15, tzinfo=dt.UTC)
REPO = Path(__file__).resolve().parents[2]


# --- helpers, also used by test_sessions ------------------------------------------------------


def new_client(address: str = ADDRESS) -> Client:
    return Client(REMOTE_ADDR=address)


def sign_in(client: Client, username: str, password: str = PASSWORD) -> Response:
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in(username: str, address: str = ADDRESS) -> Client:
    client = new_client(address)
    response = sign_in(client, username)
    assert response.status_code == 302, response.content[:500]
    return client


def code(steps_from_now: int = 0) -> str:
    """The TOTP code the fixture's authenticator app shows (computed from TOTP_SECRET)."""
    return f"{totp(base64.b32decode(TOTP_SECRET), drift=steps_from_now):06d}"


def wrong_code() -> str:
    """A code that is none of those the device accepts now (it allows one step either way)."""
    accepted = {code(step) for step in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(1000, 1_000_000, 7919)) if c not in accepted)


def give_second_factor(client: Client, token: str, next_url: str = "/") -> Response:
    return client.post(TWO_FACTOR, {"token": token, "next": next_url})


def two_factor_redirect(path: str) -> str:
    return f"{TWO_FACTOR}?{urlencode({'next': path})}"


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- 6. lockout -------------------------------------------------------------------------------


def test_lockout_after_the_failure_limit_is_audited_and_refuses_the_right_password(
    cast: Cast,
) -> None:
    limit = django_settings.AXES_FAILURE_LIMIT
    assert limit == 5
    client = new_client()
    for attempt in range(1, limit):
        response = sign_in(client, "dsl", f"wrong password {attempt}")
        assert response.status_code == 200
        assert b"The username or password is wrong" in response.content
    assert "auth.lockout" not in actions()

    response = sign_in(client, "dsl", "wrong password 5")
    assert response.status_code == 429
    assert b"Too many wrong sign-in attempts" in response.content
    lockouts = AuditEntry.objects.filter(action="auth.lockout")
    assert lockouts.count() == 1
    lockout = lockouts.get()
    assert lockout.ip == ADDRESS
    assert lockout.actor_id is None
    # The attempted username and passwords are not copied into the trail.
    body = canonical_bytes(lockout)
    assert b"dsl" not in body and b"wrong password" not in body

    # Locked: the right password is refused too, and nobody is signed in.
    response = sign_in(client, "dsl", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/s/test/").status_code == 302
    assert "auth.sign_in" not in actions()

    # The lock is on this username from this address: the same person elsewhere signs in.
    elsewhere = new_client("198.51.100.20")
    assert sign_in(elsewhere, "dsl", PASSWORD).status_code == 302
    assert actions().count("auth.sign_in") == 1


def test_failures_below_the_limit_do_not_lock(cast: Cast) -> None:
    client = new_client()
    for attempt in range(django_settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "teacher", f"wrong {attempt}").status_code == 200
    response = sign_in(client, "teacher", PASSWORD)
    assert response.status_code == 302
    assert client.get("/s/test/").status_code == 200
    assert "auth.lockout" not in actions()


# --- 7. password hashing ----------------------------------------------------------------------


def test_argon2_is_the_production_hasher_and_verifies(settings: Any, cast: Cast) -> None:
    module = importlib.import_module("safesocial.settings")
    assert module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    # tests/conftest.py switched this test run to MD5 for speed; use the module's own list.
    settings.PASSWORD_HASHERS = module.PASSWORD_HASHERS

    encoded = make_password(PASSWORD)
    assert identify_hasher(encoded).algorithm == "argon2"
    assert encoded.startswith("argon2$argon2id$")
    assert check_password(PASSWORD, encoded)
    assert not check_password(PASSWORD + " ", encoded)

    # An older PBKDF2 hash still lets its owner in, and signing in rehashes it with Argon2.
    user = User.objects.get(username="teacher")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert sign_in(new_client(), "teacher", "not the password").status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert sign_in(new_client(), "teacher").status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


# --- 8. second factor -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "page"),
    [
        ("dsl", "/s/test/people/"),
        ("dsl", "/s/test/audit/"),
        ("headteacher", "/s/test/audit/"),
        ("deputy_dsl", "/s/test/people/"),
    ],
)
def test_safeguarding_roles_must_give_a_second_factor(
    cast: Cast, frozen: time_machine.Traveller, name: str, page: str
) -> None:
    client = signed_in(name)
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == two_factor_redirect(page)
    # The form itself is shown to them.
    assert client.get(response["Location"]).status_code == 200

    key_before = client.session.session_key
    response = give_second_factor(client, code(), page)
    assert response.status_code == 302
    assert response["Location"] == page
    assert client.get(page).status_code == 200
    # A session that gains access to safeguarding records gets a new key.
    assert client.session.session_key != key_before
    assert actions().count("auth.second_factor") == 1


def test_a_code_is_accepted_once_only(cast: Cast, frozen: time_machine.Traveller) -> None:
    first = signed_in("dsl")
    token = code()
    assert give_second_factor(first, token, "/s/test/people/").status_code == 302
    assert first.get("/s/test/people/").status_code == 200

    # Someone who saw the code signs in with the password elsewhere and replays it.
    second = signed_in("dsl", "198.51.100.30")
    response = give_second_factor(second, token, "/s/test/people/")
    assert response.status_code == 400
    assert b"wrong, expired or already used" in response.content
    assert second.get("/s/test/people/")["Location"] == two_factor_redirect("/s/test/people/")
    assert actions().count("auth.second_factor_failed") == 1


@pytest.mark.parametrize("token", ["wrong", "letters", "12345", "123456789"])
def test_a_wrong_code_is_refused_with_400(
    cast: Cast, frozen: time_machine.Traveller, token: str
) -> None:
    client = signed_in("headteacher")
    value = {"wrong": wrong_code(), "letters": "abcdef"}.get(token, token)
    response = give_second_factor(client, value, "/s/test/audit/")
    assert response.status_code == 400
    assert client.get("/s/test/audit/")["Location"] == two_factor_redirect("/s/test/audit/")
    # The right code is what lets them through (in a fresh session: a wrong code throttles).
    assert give_second_factor(signed_in("dsl"), code(), "/s/test/audit/").status_code == 302


def test_the_next_address_cannot_lead_off_site(cast: Cast, frozen: time_machine.Traveller) -> None:
    client = signed_in("dsl")
    response = give_second_factor(client, code(), "https://evil.example/phish")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_teacher_is_never_asked_for_a_second_factor(cast: Cast) -> None:
    client = signed_in("teacher")
    response = client.get("/s/test/")
    assert response.status_code == 200
    # Pages beyond a teacher's role are refused outright, not sent to the second factor.
    for page in ("/s/test/people/", "/s/test/audit/"):
        response = client.get(page)
        assert response.status_code == 403, page
    assert "auth.second_factor" not in actions()
    # While the DSL, on the same school page that shows personal data, is asked.
    dsl = signed_in("dsl")
    assert dsl.get("/s/test/people/")["Location"] == two_factor_redirect("/s/test/people/")


# --- 10. headers ------------------------------------------------------------------------------


def _directives(response: Response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_protective_headers(response: Response) -> None:
    csp = _directives(response)
    script = csp.get("script-src", csp.get("default-src"))
    assert script is not None
    assert "'self'" in script
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def _inline_scripts(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]


def test_every_page_carries_the_protective_headers(
    cast: Cast, frozen: time_machine.Traveller
) -> None:
    anonymous = new_client()
    login_page = anonymous.get(LOGIN)
    assert login_page.status_code == 200
    assert_protective_headers(login_page)
    # The pages do not rely on inline script the policy would block.
    assert _inline_scripts(login_page.content.decode()) == []
    assert "<script" in login_page.content.decode()
    assert_protective_headers(anonymous.get("/s/test/"))  # redirect to sign in

    teacher = signed_in("teacher")
    page = teacher.get("/s/test/")
    assert page.status_code == 200
    assert_protective_headers(page)
    assert _inline_scripts(page.content.decode()) == []
    assert_protective_headers(teacher.get("/s/test/people/"))  # 403

    dsl = signed_in("dsl")
    assert_protective_headers(dsl.get("/s/test/people/"))  # to the second factor
    assert_protective_headers(dsl.get(two_factor_redirect("/s/test/people/")))
    assert give_second_factor(dsl, code(), "/s/test/people/").status_code == 302
    people = dsl.get("/s/test/people/")
    assert people.status_code == 200
    assert_protective_headers(people)

    # Static files are the one thing that may be cached.
    static = anonymous.get("/static/safesocial/init.js")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")


def _production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    from tests.audit.procs import django_env

    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(60))
    env = django_env(
        tmp_path,
        f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        SAFESOCIAL_PRODUCTION="true",
        SAFESOCIAL_SECRET_KEY=secret,
        SAFESOCIAL_ALLOWED_HOSTS="school.example.org",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value != ""}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    from tests.audit.procs import SAFESOCIAL

    return subprocess.run(
        [*SAFESOCIAL, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


DEPLOY_CHECK = ("check", "--deploy", "--fail-level", "WARNING")


def test_the_production_profile_passes_the_deploy_check(tmp_path: Path) -> None:
    done = _run(_production_env(tmp_path), *DEPLOY_CHECK)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout

    # The development profile is not fit to deploy, and the check says so.
    development = _production_env(tmp_path, SAFESOCIAL_PRODUCTION="false")
    done = _run(development, *DEPLOY_CHECK)
    assert done.returncode == 1
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr, warning


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SAFESOCIAL_SECRET_KEY": "x" * 49}, "SAFESOCIAL_SECRET_KEY must be at least 50"),
        ({"SAFESOCIAL_SECRET_KEY": ""}, "SAFESOCIAL_SECRET_KEY must be set"),
        ({"SAFESOCIAL_ALLOWED_HOSTS": ""}, "SAFESOCIAL_ALLOWED_HOSTS must name"),
    ],
)
def test_the_production_profile_refuses_to_start_half_set(
    tmp_path: Path, overrides: dict[str, str], message: str
) -> None:
    done = _run(_production_env(tmp_path, **overrides), *DEPLOY_CHECK)
    assert done.returncode == 2
    assert message in done.stderr


PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="school.example.org")
plain = client.get("/accounts/two-factor/")
secure = client.get("/accounts/two-factor/", secure=True)
print(json.dumps({
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "plain": [plain.status_code, plain.get("Location"), plain.get("Strict-Transport-Security")],
    "secure": [secure.status_code, secure.get("Strict-Transport-Security")],
}))
"""


@pytest.mark.parametrize("production", [True, False])
def test_hsts_and_secure_cookies_in_the_production_profile(
    tmp_path: Path, production: bool
) -> None:
    env = _production_env(tmp_path, SAFESOCIAL_PRODUCTION="true" if production else "false")
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["session_httponly"] is True
    if production:
        assert seen["session_secure"] is True and seen["csrf_secure"] is True
        hsts = "max-age=63072000; includeSubDomains; preload"
        assert seen["secure"] == [302, hsts]
        # Plain HTTP is sent to HTTPS, and HSTS is only ever sent over HTTPS.
        assert seen["plain"] == [301, "https://school.example.org/accounts/two-factor/", None]
    else:
        assert seen["session_secure"] is False and seen["csrf_secure"] is False
        assert seen["secure"] == [302, None]
        assert seen["plain"][0] == 302
