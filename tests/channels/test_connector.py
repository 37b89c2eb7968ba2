"""The Facebook Page connector against a stub Graph API on loopback: the documented request
shape (POST /{page-id}/feed, form-encoded message and access_token) and both answers."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from safesocial.channels import services
from safesocial.channels.connectors import FacebookPageConnector, PublishError
from safesocial.channels.models import Channel, Post
from safesocial.jobs.services import job_claim_next, job_run
from tests.channels.factories import approved_post, person, ready
from tests.conftest import Cast

PAGE_ID = "1234567890"
GOOD_TOKEN = "EAAB-page-token"


class GraphStub(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        GraphStub.received.append(
            {"path": self.path, "type": self.headers.get("Content-Type"), "form": form}
        )
        shape_ok = (
            self.path == f"/v21.0/{PAGE_ID}/feed"
            and self.headers.get("Content-Type") == "application/x-www-form-urlencoded"
            and set(form) == {"message", "access_token"}
        )
        if not shape_ok:
            self._answer(400, {"error": {"message": "Bad request shape", "code": 100}})
        elif form["access_token"] != [GOOD_TOKEN]:
            self._answer(
                400,
                {
                    "error": {
                        "message": "Invalid OAuth access token.",
                        "type": "OAuthException",
                        "code": 190,
                    }
                },
            )
        else:
            self._answer(200, {"id": f"{PAGE_ID}_987654321"})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def graph(settings: Any) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), GraphStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    GraphStub.received = []
    base = f"http://127.0.0.1:{server.server_address[1]}/v21.0"
    settings.SAFESOCIAL_FACEBOOK_GRAPH_URL = base
    yield base
    server.shutdown()
    server.server_close()


def test_success_returns_the_post_id(graph: str) -> None:
    result = FacebookPageConnector(page_id=PAGE_ID, token=GOOD_TOKEN).publish(text="Hello & bye")
    assert result.external_id == f"{PAGE_ID}_987654321"
    assert GraphStub.received[0]["form"] == {
        "message": ["Hello & bye"],
        "access_token": [GOOD_TOKEN],
    }


def test_an_error_answer_becomes_a_readable_message(graph: str) -> None:
    with pytest.raises(PublishError, match=r"Invalid OAuth access token\. \(code 190\)"):
        FacebookPageConnector(page_id=PAGE_ID, token="wrong").publish(text="Hello")


def test_an_unreachable_graph_is_reported(settings: Any) -> None:
    with pytest.raises(PublishError, match="could not be reached"):
        FacebookPageConnector(
            page_id=PAGE_ID, token=GOOD_TOKEN, base_url="http://127.0.0.1:9/v21.0"
        ).publish(text="Hello")


@pytest.mark.django_db
def test_connector_is_off_by_default_and_the_token_is_encrypted(cast: Cast) -> None:
    setup = ready(cast)
    channel = setup.channel
    assert channel.connector == Channel.Connector.NEWS_PAGE and not channel.connector_enabled
    head = person(cast, "headteacher")
    with pytest.raises(ValidationError) as error:
        services.connector_configure(
            channel=channel, actor=head, connector=Channel.Connector.FACEBOOK_PAGE, enabled=True
        )
    assert {"facebook_page_id", "facebook_token"} <= set(error.value.message_dict)
    services.connector_configure(
        channel=channel,
        actor=head,
        connector=Channel.Connector.FACEBOOK_PAGE,
        enabled=True,
        facebook_page_id=PAGE_ID,
        facebook_token=GOOD_TOKEN,
    )
    channel.refresh_from_db()
    assert GOOD_TOKEN not in channel.facebook_token_encrypted
    assert channel.facebook_token_encrypted


@pytest.mark.django_db
@pytest.mark.parametrize(("token", "status"), [(GOOD_TOKEN, "sent"), ("revoked", "failed")])
def test_publishing_queues_a_push_and_records_the_answer(
    cast: Cast, graph: str, token: str, status: str
) -> None:
    setup = ready(cast)
    services.connector_configure(
        channel=setup.channel,
        actor=person(cast, "headteacher"),
        connector=Channel.Connector.FACEBOOK_PAGE,
        enabled=True,
        facebook_page_id=PAGE_ID,
        facebook_token=token,
    )
    post = approved_post(setup)
    services.post_publish(post=post, actor=setup.author)
    post.refresh_from_db()
    assert post.external_status == "pending"
    job = job_claim_next()
    assert job is not None and job.kind == "channels.push_post"
    job_run(job)
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED  # on the news page whatever Facebook says
    assert post.external_status == status
    if status == "sent":
        assert post.external_id == f"{PAGE_ID}_987654321"
    else:
        assert "Invalid OAuth access token" in post.external_error
