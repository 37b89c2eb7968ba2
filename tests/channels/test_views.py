"""The channel pages through the test client: refusals that say why, field-level errors, and
the draft -> review -> publish round trip."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safesocial.audit.models import AuditEntry
from safesocial.channels.models import Consent, Post
from safesocial.policies.models import Acknowledgement
from tests.channels.factories import PDF, give_consent, png, ready
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def client_for(cast: Cast, name: str) -> Client:
    client = Client()
    user = cast[name]
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def test_refusal_to_draft_says_why(cast: Cast) -> None:
    setup = ready(cast)
    Acknowledgement.objects.filter(person=setup.author).delete()
    response = client_for(cast, "channel_manager").get(
        f"/s/test/channels/{setup.channel.pk}/posts/new/"
    )
    assert response.status_code == 403
    assert "not accepted the current acceptable use policy" in response.content.decode()


def test_draft_review_publish_round_trip(cast: Cast) -> None:
    setup = ready(cast)
    author = client_for(cast, "channel_manager")
    response = author.post(
        f"/s/test/channels/{setup.channel.pk}/posts/new/",
        {"text": "Amelia Hartley won the chess cup."},
    )
    post = Post.objects.get()
    assert response.status_code == 302
    page = author.get(f"/s/test/channels/posts/{post.pk}/").content.decode()
    assert "Change these before review" in page and "Amelia Hartley" in page
    response = author.post(f"/s/test/channels/posts/{post.pk}/submit/")
    assert response.status_code == 400
    author.post(f"/s/test/channels/posts/{post.pk}/edit/", {"text": "Our chess team won the cup."})
    author.post(f"/s/test/channels/posts/{post.pk}/submit/")
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW
    # The author cannot approve their own post.
    response = author.post(f"/s/test/channels/posts/{post.pk}/review/", {"decision": "approve"})
    assert response.status_code == 403 and "another colleague" in response.content.decode()
    reviewer = client_for(cast, "teacher")
    response = reviewer.post(f"/s/test/channels/posts/{post.pk}/review/", {"decision": "return"})
    assert response.status_code == 400 and "Say what the author should change" in (
        response.content.decode()
    )
    reviewer.post(f"/s/test/channels/posts/{post.pk}/review/", {"decision": "approve"})
    author.post(f"/s/test/channels/posts/{post.pk}/publish/")
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert "Our chess team won the cup." in Client().get("/p/test/news/").content.decode()


def test_image_upload_and_private_serving(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    setup = ready(cast)
    give_consent(setup)
    author = client_for(cast, "channel_manager")
    author.post(f"/s/test/channels/{setup.channel.pk}/posts/new/", {"text": "Art week."})
    post = Post.objects.get()
    response = author.post(
        f"/s/test/channels/posts/{post.pk}/images/",
        {"image": png(), "description": "", "learners": [setup.learner.pk]},
    )
    assert response.status_code == 400
    assert "Describe the image (alt text)" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the file is written on commit
        author.post(
            f"/s/test/channels/posts/{post.pk}/images/",
            {"image": png(), "description": "Paintings", "learners": [setup.learner.pk]},
        )
    image = post.images.get()
    assert author.get(f"/s/test/channels/images/{image.pk}/")["Content-Type"] == "image/png"
    # Not published: not on the public page.
    assert Client().get(f"/p/test/news/images/{image.pk}/").status_code == 404


def test_consent_form_field_errors_and_upload(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    setup = ready(cast)
    dsl = client_for(cast, "dsl")
    data = {
        "learner": setup.learner.pk,
        "purpose": Consent.Purpose.SOCIAL_MEDIA,
        "given_by": setup.parent.pk,
        "evidence": Consent.Evidence.UPLOAD,
        "given_on": "2026-10-01",
    }
    response = dsl.post("/s/test/channels/consents/", data)
    assert response.status_code == 400 and "Upload the signed consent form" in (
        response.content.decode()
    )
    data["upload"] = SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        assert dsl.post("/s/test/channels/consents/", data).status_code == 302
    consent = Consent.objects.get()
    evidence = dsl.get(f"/s/test/channels/consents/{consent.pk}/evidence/")
    assert evidence.status_code == 200 and evidence.content == PDF
    assert "attachment" in evidence["Content-Disposition"]
    assert AuditEntry.objects.filter(action="channels.consent_evidence_viewed").count() == 1


def test_learner_account_under_age_is_a_field_error(cast: Cast) -> None:
    setup = ready(cast)
    response = client_for(cast, "network_manager").post(
        "/s/test/channels/learner-accounts/",
        {
            "learner": setup.learner.pk,
            "service_id": "tiktok",
            "purpose": "Class project",
            "created_on": (setup.learner.date_of_birth + dt.timedelta(days=365 * 12)).isoformat(),  # type: ignore[operator]
        },
    )
    assert response.status_code == 400
    assert "aged 13 or over" in response.content.decode()
