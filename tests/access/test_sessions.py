"""Sessions: idle and absolute expiry, a new key at sign-in, disabled accounts, ending sessions."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

# Imported for its constant, and so its sign-in receiver is connected however this module is
# run (see test_the_sign_in_time_is_recorded_without_the_middleware_loaded).
from safesocial.access.middleware import SIGNED_IN_AT
from safesocial.audit.models import AuditEntry
from safesocial.audit.services import audit_verify
from safesocial.people.models import Person
from tests.access.test_auth import (
    LOGIN,
    NOW,
    actions,
    code,
    give_second_factor,
    new_client,
    sign_in,
    signed_in,
    two_factor_redirect,
)
from tests.conftest import Cast

HOME = "/s/test/"
ENDED = f"{LOGIN}?ended=1"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def live(session_key: str | None) -> bool:
    return Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now()).exists()


def test_a_session_ends_after_30_idle_minutes(cast: Cast, clock: time_machine.Traveller) -> None:
    client = signed_in("teacher")
    key = client.session.session_key
    assert client.get(HOME).status_code == 200
    # Each request renews the idle limit: active for an hour, never idle for 30 minutes.
    for _ in range(3):
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(HOME).status_code == 200
        assert live(key)
    clock.shift(dt.timedelta(minutes=30, seconds=1))
    assert not live(key)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert response.cookies["sessionid"].value == ""  # the browser is told to drop it


def test_a_session_ends_12_hours_after_sign_in_even_when_active(
    cast: Cast, clock: time_machine.Traveller
) -> None:
    client = signed_in("teacher")
    key = client.session.session_key
    # A request every 25 minutes (never idle) up to 11 h 59 min after signing in.
    steps = [dt.timedelta(minutes=25)] * 28 + [dt.timedelta(minutes=19)]
    for step in steps:
        clock.shift(step)
        assert client.get(HOME).status_code == 200
    assert sum(steps, dt.timedelta()) == dt.timedelta(hours=11, minutes=59)
    assert live(key)
    clock.shift(dt.timedelta(minutes=1, seconds=1))
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == ENDED
    assert "no-store" in response["Cache-Control"]
    assert not live(key)
    assert client.get(HOME)["Location"].startswith(LOGIN)
    assert actions()[-1] == "auth.sign_out"
    # Signing in again starts a new 12 hours.
    assert sign_in(client, "teacher").status_code == 302
    assert client.get(HOME).status_code == 200


def test_the_session_key_is_renewed_at_sign_in(cast: Cast) -> None:
    client = new_client()
    session = client.session  # an anonymous session, as a planted (fixated) cookie would be
    session["planted"] = True
    session.save()
    before = session.session_key
    assert live(before)

    assert sign_in(client, "teacher", "wrong password").status_code == 200
    assert client.cookies["sessionid"].value == before  # a failed attempt changes nothing

    assert sign_in(client, "teacher").status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not live(before)
    assert client.session[SIGNED_IN_AT] > 0
    # Whoever holds the old key holds nothing.
    planted = new_client()
    planted.cookies["sessionid"] = before
    assert planted.get(HOME)["Location"].startswith(LOGIN)
    assert client.get(HOME).status_code == 200


def test_a_disabled_account_is_signed_out_at_its_next_request(cast: Cast) -> None:
    client = signed_in("teacher")
    key = client.session.session_key
    assert client.get(HOME).status_code == 200
    teacher = cast["teacher"]
    teacher.is_active = False
    teacher.save(update_fields=["is_active"])

    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == ENDED
    assert not live(key)
    ended = AuditEntry.objects.filter(action="auth.session_ended").get()
    assert ended.actor_id == teacher.pk

    # Enabling the account again does not bring that session back.
    teacher.is_active = True
    teacher.save(update_fields=["is_active"])
    assert client.get(HOME)["Location"].startswith(LOGIN)
    assert sign_in(client, "teacher").status_code == 302
    assert client.get(HOME).status_code == 200


def _person_id(cast: Cast, name: str) -> int:
    return Person.objects.get(school=cast.school, user=cast[name]).pk


def _end_sessions_url(person_id: int) -> str:
    return f"/s/test/people/{person_id}/end-sessions/"


def test_the_headteacher_ends_another_users_sessions(
    cast: Cast, clock: time_machine.Traveller
) -> None:
    target_person = _person_id(cast, "teacher")
    url = _end_sessions_url(target_person)
    target = signed_in("teacher")
    on_phone = signed_in("teacher", "198.51.100.40")
    bystander = signed_in("channel_manager")

    # Refused: a teacher, and the DSL, may not; the headteacher must first give a second factor.
    for name in ("volunteer", "dsl"):
        assert signed_in(name).post(url).status_code == 403, name
    head = signed_in("headteacher")
    response = head.post(url)
    assert response["Location"] == two_factor_redirect(url)
    assert head.get(url).status_code == 405
    assert target.get(HOME).status_code == 200
    assert "auth.sessions_ended" not in actions()

    assert give_second_factor(head, code(), "/s/test/people/").status_code == 302
    clock.shift(dt.timedelta(seconds=1))
    response = head.post(url)
    assert response.status_code == 302
    assert response["Location"] == "/s/test/people/"

    ended = AuditEntry.objects.get(action="auth.sessions_ended")
    assert (ended.actor_id, ended.object_id) == (cast["headteacher"].pk, str(cast["teacher"].pk))
    assert (ended.school_id, ended.fields) == (cast.school.pk, ["sessions_revoked_at"])
    for client in (target, on_phone):
        response = client.get(HOME)
        assert response.status_code == 302
        assert response["Location"] == ENDED
        assert client.get(HOME)["Location"].startswith(LOGIN)
    assert actions().count("auth.sign_out") == 2
    # Nobody else's session ended, and the headteacher carries on.
    assert bystander.get(HOME).status_code == 200
    assert head.get("/s/test/people/").status_code == 200

    # The person can sign in again afterwards: only sessions begun before the ending end.
    clock.shift(dt.timedelta(seconds=1))
    again = signed_in("teacher")
    assert again.get(HOME).status_code == 200
    assert audit_verify().ok


def test_ending_sessions_stays_inside_the_school(cast: Cast, clock: time_machine.Traveller) -> None:
    head = signed_in("headteacher")
    assert give_second_factor(head, code(), "/").status_code == 302
    outsider = Person.objects.get(user=cast["outsider"]).pk
    assert head.post(_end_sessions_url(outsider)).status_code == 404
    assert head.post(_end_sessions_url(_person_id(cast, "learner"))).status_code == 302
    assert actions().count("auth.sessions_ended") == 1
    # The outsider, at the other school, is signed in as before.
    assert "auth.sessions_ended" in actions()
    other = signed_in("outsider")
    assert other.get("/s/other/").status_code == 200


SIGN_IN_RECEIVER_PROBE = """
import django
django.setup()
from types import SimpleNamespace
from django.contrib.auth.signals import user_logged_in
request = SimpleNamespace(session={}, META={})
user = SimpleNamespace(pk=1, is_authenticated=True, get_username=lambda: "x")
user_logged_in.send_robust(sender=type(user), request=request, user=user)
print("recorded" if "safesocial_signed_in_at" in request.session else "missing")
"""


def test_the_sign_in_time_is_recorded_without_the_middleware_loaded(tmp_path: Path) -> None:
    from tests.audit.procs import REPO, django_env

    # An empty database of its own: the other receivers fail there (send_robust goes on).
    env = django_env(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    done = subprocess.run(
        [sys.executable, "-c", SIGN_IN_RECEIVER_PROBE],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "recorded"


def test_a_session_without_a_sign_in_time_is_ended(cast: Cast) -> None:
    """Fail closed: a signed-in session that lacks its sign-in time cannot be trusted."""
    client = Client(REMOTE_ADDR="192.0.2.10")
    client.force_login(cast["teacher"])
    assert client.get(HOME).status_code == 200
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()
    response = client.get(HOME)
    assert response["Location"] == ENDED
