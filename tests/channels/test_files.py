"""Uploaded images and consent forms reach the private directory only when the database change
that names them commits: a save that fails or rolls back leaves no file behind. Refusals keep
the channels' own words, and a consent form is served as a download with safe headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from safesocial.audit.models import AuditEntry
from safesocial.channels import files, services
from safesocial.channels.models import Consent, PostImage
from tests.channels.factories import PDF, PNG, Setup, give_consent, png, ready
from tests.channels.test_views import client_for
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _stored() -> list[Path]:
    directory = Path(settings.PRIVATE_FILES_DIR) / "channels"
    return sorted(directory.iterdir()) if directory.exists() else []


class Boom(Exception):
    pass


def _consent_with_form(setup: Setup, filename: str) -> Consent:
    return services.consent_record(
        learner=setup.learner,
        purpose=Consent.Purpose.SOCIAL_MEDIA,
        given_by=setup.parent,
        evidence=Consent.Evidence.UPLOAD,
        upload=SimpleUploadedFile(filename, PDF, content_type="application/pdf"),
        given_on=timezone.localdate(),
        actor=setup.author,
    )


def test_an_image_is_written_once_its_record_commits(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    setup = ready(cast)
    post = services.post_create(channel=setup.channel, author=setup.author, text="Art week.")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image = services.post_image_add(
            post=post, editor=setup.author, upload=png(), description="Paintings", no_learners=True
        )
        assert _stored() == []  # nothing on disk before the commit
    for callback in callbacks:
        callback()
    assert [p.name for p in _stored()] == [image.stored_name]
    assert _stored()[0].read_bytes() == PNG
    assert _stored()[0].stat().st_mode & 0o777 == 0o600


def test_a_failing_image_save_leaves_no_file(
    cast: Cast, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = ready(cast)
    give_consent(setup)
    post = services.post_create(channel=setup.channel, author=setup.author, text="Art week.")
    entries = AuditEntry.objects.count()

    real_audit = services._audit

    def audit_then_fail(action: str, *args: Any) -> None:
        if action == "post_image_added":
            raise Boom("the audit trail could not be written")
        real_audit(action, *args)

    # The record and its image are saved, then the audit entry fails: everything rolls back.
    monkeypatch.setattr(services, "_audit", audit_then_fail)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom):
        services.post_image_add(
            post=post,
            editor=setup.author,
            upload=png(),
            description="Swimmers",
            learners=[setup.learner],
        )
    assert callbacks == []
    assert _stored() == []
    assert not PostImage.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_a_rolled_back_consent_leaves_no_file(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    setup = ready(cast)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        _consent_with_form(setup, "form.pdf")
        raise Boom("a later step of the same request failed")
    assert callbacks == []
    assert _stored() == []
    assert not Consent.objects.exists()


@pytest.mark.parametrize(
    ("upload", "types", "message"),
    [
        (
            SimpleUploadedFile("form.pdf", PDF),
            files.IMAGE_TYPES,
            "This type of file cannot be used. Use JPEG, JPG, PNG.",
        ),
        (
            SimpleUploadedFile("form.docx", b"PK"),
            files.EVIDENCE_TYPES,
            "This type of file cannot be used. Use JPEG, JPG, PDF, PNG.",
        ),
        (
            SimpleUploadedFile("big.png", PNG + b"0" * files.MAX_BYTES),
            files.IMAGE_TYPES,
            "The file is too large: the limit is 10 MB.",
        ),
        (
            SimpleUploadedFile("photo.jpg", PNG),
            files.IMAGE_TYPES,
            "The file's content is not a real .jpg file.",
        ),
    ],
)
def test_refusals_name_the_field_in_the_channels_words(
    upload: SimpleUploadedFile, types: Any, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        files.check(upload, field="image", types=types)
    assert error.value.message_dict == {"image": [message]}


def test_a_consent_form_is_a_download_under_a_cleaned_name(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    setup = ready(cast)
    with django_capture_on_commit_callbacks(execute=True):
        consent = _consent_with_form(setup, 'signed "form".pdf')
    url = f"/s/test/channels/consents/{consent.pk}/evidence/"
    response = client_for(cast, "dsl").get(url)
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Disposition"] == 'attachment; filename="signedform.pdf"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert client_for(cast, "teacher").get(url).status_code == 403
    # A form whose file is gone is not found, and no download is put on the audit trail.
    files.STORE.remove(consent.evidence_file)
    viewed = AuditEntry.objects.filter(action="channels.consent_evidence_viewed").count()
    assert client_for(cast, "dsl").get(url).status_code == 404
    assert AuditEntry.objects.filter(action="channels.consent_evidence_viewed").count() == viewed
