"""Reporting: the public form (token, honeypot, rate limit, attachments) and routing/alerts."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from safesocial import private_files
from safesocial.concerns.categories import Category
from safesocial.concerns.models import Alert, Concern, Evidence
from safesocial.jobs.models import Job
from safesocial.jobs.services import job_claim_next, job_run
from tests.concerns.conftest import person_of, report
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
URL = "/p/test/report/"


def _form(client: Client) -> dict[str, str]:
    page = client.get(URL).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    return {
        "token": token.group(1),
        "category": Category.BULLYING,
        "what": "Someone keeps posting mean comments about my friend.",
        "reporter_kind": "anonymous",
        "about_headteacher": "no",
    }


def _run_jobs() -> None:
    while (job := job_claim_next()) is not None:
        job_run(job)


def test_public_report_gives_a_reference_and_alerts_the_safeguarding_team(
    cast: Cast, mail_outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for name in ("dsl", "deputy_dsl"):
        cast[name].email = f"{name}@school.example"
        cast[name].save(update_fields=["email"])
    client = Client()
    with time_machine.travel("2025-03-04 10:00 +0000", tick=False):
        data = _form(client)
    with time_machine.travel("2025-03-04 10:01 +0000", tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, data)
        assert response.status_code == 200
        concern = Concern.objects.get()
        assert concern.reference in response.content.decode()
        assert "What happens next" in response.content.decode()
        assert concern.reporter is None and concern.reporter_kind == "anonymous"
        recipients = set(Alert.objects.values_list("recipient__user__username", flat=True))
        assert recipients == {"dsl", "deputy_dsl"}
        _run_jobs()
    assert len(mail_outbox) == 2
    body = mail_outbox[0].body
    assert f"/s/test/concerns/cases/{concern.pk}/" in body
    assert "mean comments" not in body and "bullying" not in body.lower()


def test_public_form_refuses_fast_bots_and_the_honeypot(cast: Cast) -> None:
    client = Client()
    with time_machine.travel("2025-03-04 10:00 +0000", tick=False):
        data = _form(client)
        too_fast = client.post(URL, data)
        assert too_fast.status_code == 400
        assert "too quickly" in too_fast.content.decode()
    with time_machine.travel("2025-03-04 10:01 +0000", tick=False):
        trap = client.post(URL, {**data, "website": "http://spam.example"})
        assert trap.status_code == 200
        forged = client.post(URL, {**data, "token": "forged"})
        assert forged.status_code == 400
    with time_machine.travel("2025-03-04 20:00 +0000", tick=False):
        stale = client.post(URL, data)
        assert "open too long" in stale.content.decode()
    assert Concern.objects.count() == 0


def test_public_form_is_rate_limited_per_address(cast: Cast, settings: Any) -> None:
    settings.CONCERNS_REPORTS_PER_HOUR = 2
    client = Client()
    with time_machine.travel("2025-03-04 10:00 +0000", tick=False):
        data = _form(client)
    with time_machine.travel("2025-03-04 10:01 +0000", tick=False):
        assert client.post(URL, data).status_code == 200
        assert client.post(URL, data).status_code == 200
        assert client.post(URL, data).status_code == 429
    other = Client(REMOTE_ADDR="192.0.2.7")
    with time_machine.travel("2025-03-04 10:02 +0000", tick=False):
        assert other.post(URL, data).status_code == 200
    assert Concern.objects.count() == 3
    assert "192.0.2.7" not in str(list(Concern.objects.values_list("source_hash", flat=True)))


def test_bad_attachments_are_refused_and_nothing_is_stored(
    cast: Cast, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PRIVATE_FILES_DIR = tmp_path
    settings.CONCERNS_EVIDENCE_MAX_BYTES = 1024
    client = Client()
    with time_machine.travel("2025-03-04 10:00 +0000", tick=False):
        data = _form(client)
    with time_machine.travel("2025-03-04 10:01 +0000", tick=False):
        from django.core.files.uploadedfile import SimpleUploadedFile

        big = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 2000)
        response = client.post(URL, {**data, "attachment": big})
        assert response.status_code == 400
        assert "too large" in response.content.decode()
        exe = SimpleUploadedFile("run.exe", b"MZ....")
        response = client.post(URL, {**data, "attachment": exe})
        assert "cannot be attached" in response.content.decode()
        fake = SimpleUploadedFile("doc.pdf", b"not a pdf")
        assert "not a real .pdf" in client.post(URL, {**data, "attachment": fake}).content.decode()
        assert Concern.objects.count() == 0 and Evidence.objects.count() == 0
        assert not list(tmp_path.rglob("*.*")) and not [
            p for p in tmp_path.rglob("*") if p.is_file()
        ]
        good = SimpleUploadedFile("note.txt", b"screenshot description")
        with django_capture_on_commit_callbacks(execute=True):  # the file is written on commit
            assert client.post(URL, {**data, "attachment": good}).status_code == 200
    assert Evidence.objects.count() == 1
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_a_full_file_store_refuses_the_report_with_a_message_and_keeps_nothing(
    cast: Cast,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.PRIVATE_FILES_DIR = tmp_path
    real = private_files.shutil.disk_usage
    monkeypatch.setattr(
        private_files.shutil, "disk_usage", lambda path: real(path)._replace(free=1024)
    )
    client = Client()
    with time_machine.travel("2025-03-04 10:00 +0000", tick=False):
        data = _form(client)
    with time_machine.travel("2025-03-04 10:01 +0000", tick=False):
        good = SimpleUploadedFile("note.txt", b"screenshot description")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, {**data, "attachment": good})
    assert response.status_code == 400
    assert "storage is full" in response.content.decode()
    assert Concern.objects.count() == 0 and Evidence.objects.count() == 0
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_allegation_from_the_public_form_about_the_head_goes_to_the_chair(cast: Cast) -> None:
    client = Client()
    with time_machine.travel("2025-03-04 10:00 +0000", tick=False):
        data = _form(client)
    with time_machine.travel("2025-03-04 10:01 +0000", tick=False):
        missing = client.post(URL, {**data, "category": Category.ALLEGATION})
        assert missing.status_code == 400
        assert "Say which adult" in missing.content.decode()
        client.post(
            URL,
            {
                **data,
                "category": Category.ALLEGATION,
                "subject_name": "The head",
                "about_headteacher": "unsure",
            },
        )
    concern = Concern.objects.get()
    assert concern.handler == person_of(cast["chair"])
    assert list(Alert.objects.values_list("recipient__user__username", flat=True)) == ["chair"]


def test_staff_report_routes_by_category(cast: Cast) -> None:
    teacher = person_of(cast["teacher"])
    misuse = report(cast.school, by=teacher, category=Category.DEVICE_MISUSE)
    assert misuse.handler == person_of(cast["dsl"])
    # Not a safeguarding category: a dashboard alert for the DSL, no email.
    alerts = Alert.objects.filter(concern=misuse)
    assert list(alerts.values_list("recipient__user__username", flat=True)) == ["dsl"]
    conflict = report(cast.school, by=teacher, category=Category.STAFF_CONDUCT, self_report=True)
    assert conflict.handler == person_of(cast["headteacher"])
    assert Job.objects.filter(kind="concerns.send_alerts").count() == 0


def test_staff_report_page_refuses_bad_input_naming_the_field(cast: Cast) -> None:
    client = Client()
    client.force_login(cast["teacher"])
    response = client.post("/s/test/concerns/report/", {"category": Category.ALLEGATION})
    assert response.status_code == 400
    page = response.content.decode()
    assert "What happened?" in page and "Choose the member of staff" in page
    assert Concern.objects.count() == 0
    ok = client.post(
        "/s/test/concerns/report/",
        {"category": Category.BULLYING, "what": "A group chat is being unkind."},
    )
    assert ok.status_code == 302
    assert "SC-" in client.get("/s/test/concerns/").content.decode()
