"""Public policy pages that cost the school something are limited per address (copy requests
are records the office must answer; PDFs are rendered each time), with a "try again later"
page; copy requests are removed once their retention period has passed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone

from safesocial.audit.models import AuditEntry
from safesocial.concerns.views import REPORT_LIMIT
from safesocial.policies.models import CopyRequest
from safesocial.policies.services import copy_request_create, copy_requests_remove_expired
from tests.conftest import Cast
from tests.policies.factories import approved_policy

pytestmark = pytest.mark.django_db
REQUEST = "/p/test/policies/social-media/request-a-copy/"
PDF = "/p/test/policies/social-media.pdf"
FORM = {"format": "braille", "name": "A Parent", "contact": "0123 456789"}


@pytest.fixture(autouse=True)
def _fresh_counts() -> Iterator[None]:
    cache.clear()  # the PDF counter lives in the cache: no test sees another's
    yield
    cache.clear()


def test_copy_requests_are_limited_per_address(cast: Cast, settings: Any) -> None:
    settings.POLICIES_COPY_REQUESTS_PER_HOUR = 2
    approved_policy(cast.school)
    client = Client(REMOTE_ADDR="192.0.2.10")
    assert "delete them 90 days after" in client.get(REQUEST).content.decode()
    with time_machine.travel("2026-03-04 10:00 +0000", tick=False):
        assert client.post(REQUEST, {**FORM, "name": ""}).status_code == 400  # not counted
        assert client.post(REQUEST, FORM).status_code == 302
        assert client.post(REQUEST, FORM).status_code == 302
        limited = client.post(REQUEST, FORM)
        assert limited.status_code == 429
        assert limited["Retry-After"] == "3600"
        page = limited.content.decode()
        assert "Please try again later" in page and 'href="/p/test/policies/social-media/"' in page
        # Another address is not held back by this one.
        assert Client(REMOTE_ADDR="192.0.2.11").post(REQUEST, FORM).status_code == 302
    assert CopyRequest.objects.count() == 3
    hashes = list(CopyRequest.objects.values_list("source_hash", flat=True))
    assert all(len(h) == 64 for h in hashes) and "192.0.2.10" not in str(hashes)
    with time_machine.travel("2026-03-04 11:00:01 +0000", tick=False):
        assert client.post(REQUEST, FORM).status_code == 302  # an hour later: room again


def test_pdfs_are_limited_per_address(cast: Cast, settings: Any) -> None:
    settings.POLICIES_PDFS_PER_HOUR = 2
    approved_policy(cast.school)
    client = Client(REMOTE_ADDR="192.0.2.20")
    assert client.get(PDF).status_code == 200
    assert client.get(PDF).status_code == 200
    limited = client.get(PDF)
    assert limited.status_code == 429 and limited["Content-Type"].startswith("text/html")
    assert "Please try again later" in limited.content.decode()
    assert Client(REMOTE_ADDR="192.0.2.21").get(PDF).status_code == 200


def test_a_limit_of_zero_is_no_limit(cast: Cast, settings: Any) -> None:
    settings.POLICIES_PDFS_PER_HOUR = 0
    settings.POLICIES_COPY_REQUESTS_PER_HOUR = 0
    approved_policy(cast.school)
    client = Client()
    for _ in range(3):
        assert client.post(REQUEST, FORM).status_code == 302
    assert client.get(PDF).status_code == 200


def test_the_concern_form_keeps_its_address_hash() -> None:
    """The concern form uses the shared code; hashes stored before the move still count."""
    request = RequestFactory(REMOTE_ADDR="192.0.2.30").get("/")
    expected = hmac.new(
        django_settings.SECRET_KEY.encode(), b"report-source:192.0.2.30", hashlib.sha256
    ).hexdigest()
    assert REPORT_LIMIT.source(request) == expected


def _copy_request(cast: Cast, made: str, handled: str | None = None) -> CopyRequest:
    policy = approved_policy(cast.school)
    with time_machine.travel(made, tick=False):
        item = copy_request_create(policy=policy, format="paper", name="A Parent", contact="x")
    if handled is not None:
        item.handled_at = dt.datetime.fromisoformat(handled)
        item.save(update_fields=["handled_at"])
    return item


def test_copy_requests_are_removed_after_their_retention_period(cast: Cast) -> None:
    with time_machine.travel("2026-06-01 09:00 +0000", tick=False):
        now = timezone.now()
    old_handled = _copy_request(cast, "2026-02-01 09:00 +0000", "2026-03-01 09:00 +0000")
    old_open = _copy_request(cast, "2026-02-01 09:00 +0000")
    late_handled = _copy_request(cast, "2026-02-01 09:00 +0000", "2026-05-01 09:00 +0000")
    recent = _copy_request(cast, "2026-05-20 09:00 +0000")
    assert copy_requests_remove_expired(school=cast.school, now=now) == 2
    left = set(CopyRequest.objects.values_list("pk", flat=True))
    assert left == {late_handled.pk, recent.pk}
    removed = AuditEntry.objects.filter(action="policies.copy_request_removed")
    assert set(removed.values_list("object_id", flat=True)) == {
        str(old_handled.pk),
        str(old_open.pk),
    }
    assert "A Parent" not in str(list(removed.values_list("fields", "actor_label")))
    assert copy_requests_remove_expired(school=cast.school, now=now) == 0


def test_the_retention_command_removes_them_and_the_period_is_a_setting(
    cast: Cast, settings: Any
) -> None:
    settings.POLICIES_COPY_REQUEST_RETENTION_DAYS = 30
    item = _copy_request(cast, "2026-04-01 09:00 +0000")
    out = StringIO()
    with time_machine.travel("2026-04-30 09:00 +0000", tick=False):
        call_command("retention_review", "--school", "test", stdout=out)
    assert CopyRequest.objects.filter(pk=item.pk).exists()  # 29 days: kept
    with time_machine.travel("2026-05-02 09:00 +0000", tick=False):
        call_command("retention_review", "--school", "test", stdout=out)
    assert not CopyRequest.objects.filter(pk=item.pk).exists()
    assert "Removed 1 policy copy request(s) older than 30 days." in out.getvalue()


def test_an_ipv6_client_counts_as_its_whole_64() -> None:
    """Changing address inside one's own /64 does not escape the limit."""

    def source(address: str) -> str:
        return REPORT_LIMIT.source(RequestFactory(REMOTE_ADDR=address).get("/"))

    assert source("2001:db8:5:7::1") == source("2001:db8:5:7:abcd::99")
    assert source("2001:db8:5:7::1") != source("2001:db8:5:8::1")
    assert source("192.0.2.30") != source("192.0.2.31")  # IPv4: each address alone
