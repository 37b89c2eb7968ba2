"""The consent register: who may give it, written evidence, expiry, withdrawal and the
take-down tasks it opens (clause 5)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safesocial.channels import services
from safesocial.channels.models import Consent, Post, TakeDownTask
from safesocial.channels.selectors import open_take_downs, published_posts
from safesocial.jobs.services import job_claim_next, job_run
from safesocial.people.models import ParentLink
from tests.channels.factories import PDF, approved_post, give_consent, person, png, ready
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_only_a_parent_with_parental_responsibility_gives_consent(cast: Cast) -> None:
    setup = ready(cast)
    ParentLink.objects.update(parental_responsibility=False)
    with pytest.raises(ValidationError) as error:
        give_consent(setup)
    assert "no parental responsibility" in error.value.message_dict["given_by"][0]
    with pytest.raises(ValidationError) as error:
        services.consent_record(
            learner=person(cast, "teacher"),
            purpose=Consent.Purpose.PRESS,
            given_by=setup.parent,
            evidence=Consent.Evidence.SIGNED_FORM,
            form_reference="F",
            given_on=timezone.localdate(),
            actor=setup.author,
        )
    assert "learner" in error.value.message_dict
    assert not Consent.objects.exists()


def test_written_evidence_is_required_and_uploads_are_stored_privately(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    setup = ready(cast)
    values = {
        "learner": setup.learner,
        "purpose": Consent.Purpose.DISPLAYS,
        "given_by": setup.parent,
        "given_on": dt.date(2026, 10, 1),
        "actor": setup.author,
    }
    with pytest.raises(ValidationError) as error:
        services.consent_record(evidence=Consent.Evidence.SIGNED_FORM, **values)
    assert "form_reference" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.consent_record(evidence=Consent.Evidence.UPLOAD, **values)
    assert "upload" in error.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        consent = services.consent_record(
            evidence=Consent.Evidence.UPLOAD,
            upload=SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf"),
            **values,
        )
    stored = Path(settings.PRIVATE_FILES_DIR) / "channels" / consent.evidence_file
    assert stored.read_bytes() == PDF
    # Unless set, consent lasts to the end of the academic year.
    assert consent.expires_on == dt.date(2027, 8, 31)
    assert services.end_of_academic_year(dt.date(2027, 3, 1)) == dt.date(2027, 8, 31)


def test_withdrawal_lists_published_posts_and_opens_take_down_tasks(cast: Cast) -> None:
    setup = ready(cast)
    consents = give_consent(setup)
    pictured = services.post_create(channel=setup.channel, author=setup.author, text="Gala.")
    services.post_image_add(
        post=pictured,
        editor=setup.author,
        upload=png(),
        description="Swim",
        learners=[setup.learner],
    )
    services.post_submit(post=pictured, author=setup.author)
    services.post_review(post=pictured, reviewer=setup.reviewer, approve=True)
    services.post_publish(post=pictured, actor=setup.author)
    other = approved_post(setup, "A text-only post.")
    services.post_publish(post=other, actor=setup.author)

    setup.author.email = "manager@school.example"
    setup.author.save(update_fields=["email"])
    social = next(c for c in consents if c.purpose == Consent.Purpose.SOCIAL_MEDIA)
    tasks = services.consent_withdraw(
        consent=social, on=timezone.localdate(), actor=person(cast, "dsl"), note="Parent asked"
    )
    assert [t.post for t in tasks] == [pictured]
    # The channel's managers are told by email (a link only) once the worker runs.
    job = job_claim_next()
    assert job is not None and job.kind == "channels.take_down_alerts"
    job_run(job)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["manager@school.example"]
    assert "Hartley" not in mail.outbox[0].body and "/s/test/channels/take-downs/" in (
        mail.outbox[0].body
    )
    assert list(open_take_downs(cast.school)) == tasks
    with pytest.raises(ValidationError, match="already been withdrawn"):
        services.consent_withdraw(consent=social, on=timezone.localdate(), actor=setup.author)

    # Someone who neither manages the channel nor leads cannot close the task.
    with pytest.raises(services.NotAllowed):
        services.take_down_complete(task=tasks[0], actor=person(cast, "teacher"))
    services.take_down_complete(task=tasks[0], actor=setup.author, note="Removed from Facebook")
    pictured.refresh_from_db()
    assert pictured.status == Post.Status.TAKEN_DOWN
    assert list(published_posts(cast.school)) == [other]
    assert TakeDownTask.objects.get().done_by == setup.author
