"""Evidence files: the size limit told to the reporter follows the setting, and the tests keep
their files in a temporary directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from safesocial.concerns import files
from safesocial.concerns.files import CheckedFile
from safesocial.concerns.forms import EvidenceForm, PublicReportForm
from safesocial.concerns.services import evidence_add
from tests.concerns.conftest import person_of, report
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


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


def test_evidence_goes_to_the_temporary_directory(
    cast: Cast, private_files: Path, tmp_path: Path
) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]))
    item = evidence_add(
        concern=concern,
        checked=CheckedFile("note.txt", "text/plain", b"words", "0" * 64),
        actor=person_of(cast["dsl"]),
    )
    stored = files.path_of(item.stored_name)
    assert stored.is_relative_to(private_files) and stored.is_relative_to(tmp_path)
    assert stored.read_bytes() == b"words"
