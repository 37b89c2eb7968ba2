"""Sign-in through OpenID Connect against a stub provider on loopback.

The stub follows the provider side of OpenID Connect Core 1.0 (authorization code flow): the
token endpoint takes a form POST and answers JSON with an `id_token` (a JWS signed HS256 with
the client secret, carrying iss, sub, aud, exp, iat and the nonce) and an `access_token`;
the userinfo endpoint takes the access token as a Bearer token and answers the claims.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import User
from django.test import Client

from safesocial.access.oidc import SchoolAccountOIDCBackend

CLIENT_ID = "safesocial-test-client"
CLIENT_SECRET = "a-long-shared-secret-for-the-stub-provider-0123456789"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_id_token(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(CLIENT_SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64(signature.digest())}"


class StubProvider:
    def __init__(self) -> None:
        self.claims: dict[str, Any] = {}
        self.nonce = ""
        self.token_requests: list[dict[str, list[str]]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                provider.token_requests.append(form)
                now = int(time.time())
                token = signed_id_token(
                    {
                        "iss": "http://stub",
                        "sub": "subject-1",
                        "aud": CLIENT_ID,
                        "iat": now,
                        "exp": now + 300,
                        "nonce": provider.nonce,
                    }
                )
                self._json({"id_token": token, "access_token": "access-1", "token_type": "Bearer"})

            def do_GET(self) -> None:
                if self.headers.get("Authorization") != "Bearer access-1":
                    self.send_response(401)
                    self.end_headers()
                    return
                self._json(provider.claims)

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def provider(settings: Any) -> Iterator[StubProvider]:
    stub = StubProvider()
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    settings.ROOT_URLCONF = "tests.access.oidc_urls"
    settings.OIDC_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "safesocial.access.oidc.SchoolAccountOIDCBackend",
    ]
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{stub.url}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{stub.url}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{stub.url}/userinfo"
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


def sign_in_through_provider(client: Client, stub: StubProvider) -> Any:
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    location = urlparse(start["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{stub.url}/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert "openid" in query["scope"][0].split() and query["code_challenge_method"] == ["S256"]
    stub.nonce = query["nonce"][0]
    return client.get("/oidc/callback/", {"code": "code-1", "state": query["state"][0]})


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_an_existing_account_signs_in_by_its_verified_email(
    db: None, provider: StubProvider
) -> None:
    user = User.objects.create_user("teacher", email="Teacher@School.example")
    provider.claims = {
        "sub": "subject-1",
        "email": "teacher@school.example",
        "email_verified": True,
    }
    client = Client()
    response = sign_in_through_provider(client, provider)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)
    form = provider.token_requests[0]
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["code-1"]
    assert form["redirect_uri"] == ["http://testserver/oidc/callback/"]
    assert "code_verifier" in form


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "s", "email": "stranger@school.example"},  # no such account: none is created
        {"sub": "s", "email": "teacher@school.example", "email_verified": False},
        {"sub": "s"},  # no email at all
    ],
)
def test_unknown_or_unverified_addresses_do_not_sign_in(
    db: None, provider: StubProvider, claims: dict[str, Any]
) -> None:
    User.objects.create_user("teacher", email="teacher@school.example")
    provider.claims = claims
    client = Client()
    sign_in_through_provider(client, provider)
    assert signed_in_user_id(client) is None
    assert User.objects.count() == 1


def test_a_disabled_account_cannot_sign_in_or_stay_signed_in(
    db: None, provider: StubProvider
) -> None:
    user = User.objects.create_user("teacher", email="teacher@school.example", is_active=False)
    provider.claims = {"sub": "s", "email": "teacher@school.example"}
    client = Client()
    sign_in_through_provider(client, provider)
    assert signed_in_user_id(client) is None
    user.is_active = True
    user.save()
    assert SchoolAccountOIDCBackend().get_user(user.pk) == user
    user.is_active = False
    user.save()
    assert SchoolAccountOIDCBackend().get_user(user.pk) is None


def test_the_login_page_offers_the_provider_only_when_configured(db: None, settings: Any) -> None:
    assert b"/oidc/authenticate/" not in Client().get("/accounts/login/").content
    settings.OIDC_ENABLED = True
    settings.OIDC_NAME = "Microsoft"
    page = Client().get("/accounts/login/").content.decode()
    assert "Sign in with Microsoft" in page and "/oidc/authenticate/" in page
