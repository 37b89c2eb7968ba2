"""Evidence files: the size limit told to the reporter follows the setting; a file reaches the
private directory only when the database change that records it commits (a save that fails or
rolls back leaves no file); a stored file is served only to people who may open the case. The
tests keep their files in a temporary directory."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client, override_settings

from safesocial.audit.models import AuditEntry
from safesocial.concerns import files, services
from safesocial.concerns.files import CheckedFile
from safesocial.concerns.forms import EvidenceForm, PublicReportForm
from safesocial.concerns.models import Concern, Evidence
from safesocial.concerns.services import evidence_add
from tests.concerns.conftest import person_of, report
from tests.concerns.test_case import _signed_in
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

NOTE = CheckedFile("note.txt", "text/plain", b"words", "0" * 64)


@pytest.mark.parametrize(
    ("limit", "text"),
    [
        (10 * 1024 * 1024, "up to 10 MB."),
        (2 * 1024 * 1024 + 512 * 1024, "up to 2.5 MB."),
        (500 * 1024, "up to 500 KB."),
    ],
)
def test_help_text_follows_the_setting(limit: int, text: str) -> None:
    with override_settings(CONCERNS_EVIDENCE_MAX_BYTES=limit):
        assert PublicReportForm().fields["attachment"].help_text.endswith(text)
        assert EvidenceForm().fields["file"].help_text.endswith(text)


@override_settings(CONCERNS_EVIDENCE_MAX_BYTES=3 * 1024 * 1024)
def test_the_public_page_and_the_refusal_say_the_same_limit(cast: Cast) -> None:
    page = Client().get("/p/test/report/").content.decode()
    assert "up to 3 MB." in page and "10 MB" not in page
    hint = re.search(r'<div id="([^"]+)" class="govuk-hint">PDF, PNG', page)
    upload = re.search(r'<input[^>]*type="file"[^>]*>', page)
    assert hint is not None and upload is not None
    assert hint.group(1) in upload.group(0)  # the file input is described by the hint
    with pytest.raises(ValidationError, match="the limit is 3 MB"):
        files.check_upload(_Upload("big.png", 4 * 1024 * 1024))


class _Upload:
    def __init__(self, name: str, size: int) -> None:
        self.name, self.size = name, size

    def chunks(self) -> list[bytes]:
        return [b"\x89PNG\r\n\x1a\n"]


def _stored(private_files: Path) -> list[Path]:
    return [p for p in private_files.rglob("*") if p.is_file()]


def test_evidence_is_written_once_its_record_commits(
    cast: Cast, private_files: Path, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = evidence_add(concern=concern, checked=NOTE, actor=person_of(cast["dsl"]))
        assert _stored(private_files) == []  # nothing on disk before the commit
    for callback in callbacks:
        callback()
    stored = files.path_of(item.stored_name)
    assert stored.is_relative_to(private_files) and stored.is_relative_to(tmp_path)
    assert _stored(private_files) == [stored]
    assert files.read(item.stored_name) == b"words"
    assert stored.stat().st_mode & 0o777 == 0o600


def test_a_failing_evidence_save_leaves_no_file(
    cast: Cast,
    private_files: Path,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]))
    entries = AuditEntry.objects.count()

    def audit_fails(**kwargs: Any) -> None:
        raise OSError("the audit trail could not be written")

    # The record is saved, then its audit entry fails: everything rolls back.
    monkeypatch.setattr(services, "audit_record", audit_fails)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(OSError):
        evidence_add(concern=concern, checked=NOTE, actor=person_of(cast["dsl"]))
    assert _stored(private_files) == []
    assert not Evidence.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_a_rolled_back_report_with_an_attachment_leaves_no_file(
    cast: Cast, private_files: Path, django_capture_on_commit_callbacks: Any
) -> None:
    class LaterStepFailed(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(LaterStepFailed),
        transaction.atomic(),
    ):
        report(cast.school, by=person_of(cast["teacher"]), attachment=NOTE)
        raise LaterStepFailed("a later step of the same request failed")
    assert callbacks == []
    assert _stored(private_files) == []
    assert not Concern.objects.exists() and not Evidence.objects.exists()


def test_committed_evidence_is_served_only_to_people_who_may_open_the_case(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]))
    with django_capture_on_commit_callbacks(execute=True):
        item = evidence_add(
            concern=concern,
            checked=CheckedFile('a"b\r\n../Smith family.txt', "text/plain", b"words", "0" * 64),
            actor=person_of(cast["dsl"]),
        )
    url = f"/s/test/concerns/cases/{concern.pk}/evidence/{item.pk}/"
    download = _signed_in(cast["dsl"]).get(url)
    assert download.status_code == 200 and download.content == b"words"
    # Named by number, not by the reporter's file name; a download, never sniffed or cached.
    assert download["Content-Disposition"] == f'attachment; filename="evidence-{item.pk}.txt"'
    assert download["Content-Type"] == "text/plain"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    assert AuditEntry.objects.filter(action="concern.evidence_viewed").count() == 1
    assert _signed_in(cast["teacher"]).get(url).status_code == 403
    assert _signed_in(cast["outsider"]).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to sign-in
    assert AuditEntry.objects.filter(action="concern.evidence_viewed").count() == 1


def test_evidence_whose_file_is_missing_is_not_found(cast: Cast) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]))
    # The test's transaction never commits, so the file is never written.
    item = evidence_add(concern=concern, checked=NOTE, actor=person_of(cast["dsl"]))
    url = f"/s/test/concerns/cases/{concern.pk}/evidence/{item.pk}/"
    assert _signed_in(cast["dsl"]).get(url).status_code == 404
    assert not AuditEntry.objects.filter(action="concern.evidence_viewed").exists()
