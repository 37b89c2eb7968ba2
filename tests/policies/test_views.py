"""Signed-in pages: forms validate, services act, refusals are clear."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safesocial.audit.models import AuditEntry
from safesocial.people.models import Person
from safesocial.policies.models import (
    Acknowledgement,
    ActionItem,
    CopyRequest,
    FormalReview,
    Policy,
    PolicyVersion,
)
from tests.conftest import Cast
from tests.policies.factories import BODY, BODY_V2, approved_policy, draft_version, make_policy

pytestmark = pytest.mark.django_db


def client_for(cast: Cast, name: str, *, verified: bool = True) -> Client:
    client = Client()
    user = cast[name]
    client.force_login(user)
    if verified:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
    return client


def test_register_setup_lists_every_linked_policy_with_an_empty_state(cast: Cast) -> None:
    teacher = client_for(cast, "teacher")
    page = teacher.get("/s/test/policies/").content.decode()
    assert "The register is empty" in page and "Set up the register" not in page
    head = client_for(cast, "headteacher")
    assert head.post("/s/test/policies/setup/").status_code == 302
    page = head.get("/s/test/policies/").content.decode()
    for title in (
        "Anti-bullying policy",
        "Acceptable use policy",
        "Whistleblowing procedure",
        "Allegations against staff procedure",
        "Remote learning policy",
    ):
        assert title in page
    assert Policy.objects.filter(school=cast.school).count() == 16


def test_draft_edit_sign_and_refuse_edit_after_approval(cast: Cast) -> None:
    policy = make_policy(cast.school)
    dsl = client_for(cast, "dsl")
    bad = dsl.post(f"/s/test/policies/{policy.pk}/new-version/", {"body": "## 1 Aims\n"})
    assert bad.status_code == 400 and "line 1: section 1 has no clauses" in bad.content.decode()
    assert not PolicyVersion.objects.exists()
    response = dsl.post(
        f"/s/test/policies/{policy.pk}/new-version/", {"body": BODY, "change_note": "First"}
    )
    version = PolicyVersion.objects.get()
    assert response.status_code == 302
    # The teacher cannot see a draft at all.
    assert (
        client_for(cast, "teacher").get(f"/s/test/policies/versions/{version.pk}/").status_code
        == 404
    )
    head = client_for(cast, "headteacher")
    page = head.get(f"/s/test/policies/versions/{version.pk}/").content.decode()
    assert "Sign version 1" in page
    assert head.post(f"/s/test/policies/versions/{version.pk}/sign/").status_code == 302
    again = head.post(f"/s/test/policies/versions/{version.pk}/sign/")
    assert again.status_code == 409 and "already signed" in again.content.decode()
    unverified_chair = client_for(cast, "chair", verified=False)
    assert unverified_chair.post(f"/s/test/policies/versions/{version.pk}/sign/").status_code == 302
    version.refresh_from_db()
    assert not version.is_approved  # sent to the second factor, not signed
    client_for(cast, "chair").post(f"/s/test/policies/versions/{version.pk}/sign/")
    version.refresh_from_db()
    assert version.is_approved
    refused = dsl.post(f"/s/test/policies/versions/{version.pk}/edit/", {"body": BODY_V2})
    assert (
        refused.status_code == 409 and "Approved versions never change" in refused.content.decode()
    )
    version.refresh_from_db()
    assert version.body.strip() == BODY.strip()
    detail = client_for(cast, "teacher").get(f"/s/test/policies/{policy.pk}/").content.decode()
    assert "19b.004" in detail and "Date of next review" in detail and "Version" in detail


def test_compare_page_marks_added_and_removed(cast: Cast) -> None:
    policy = approved_policy(cast.school)
    client_for(cast, "dsl").post(f"/s/test/policies/{policy.pk}/new-version/", {"body": BODY_V2})
    page = client_for(cast, "dsl").get(f"/s/test/policies/{policy.pk}/compare/?from=1&to=2")
    html = page.content.decode()
    assert '<span class="govuk-visually-hidden">Added: </span>' in html
    assert '<span class="govuk-visually-hidden">Removed: </span>' in html
    # A teacher only sees approved versions: comparing with the draft is a clear 400.
    teacher = client_for(cast, "teacher").get(f"/s/test/policies/{policy.pk}/compare/?from=1&to=2")
    assert teacher.status_code == 400 and "Choose two versions" in teacher.content.decode()


def test_acknowledge_from_the_policy_page(cast: Cast) -> None:
    policy = approved_policy(cast.school)
    assert policy.current_version is not None
    teacher = client_for(cast, "teacher")
    page = teacher.get(f"/s/test/policies/{policy.pk}/").content.decode()
    assert "Read and accept version 1" in page
    url = f"/s/test/policies/{policy.pk}/acknowledge/"
    assert teacher.post(url, {"version": policy.current_version.pk}).status_code == 400
    assert (
        teacher.post(url, {"version": policy.current_version.pk, "confirm": "on"}).status_code
        == 302
    )
    assert Acknowledgement.objects.filter(person__user=cast["teacher"]).count() == 1
    refused = client_for(cast, "learner").post(
        url, {"version": policy.current_version.pk, "confirm": "on"}
    )
    assert refused.status_code == 400 and "staff and volunteers" in refused.content.decode()
    report = client_for(cast, "headteacher").get("/s/test/policies/acknowledgements/")
    assert "of staff and volunteers" in report.content.decode()
    assert AuditEntry.objects.filter(action="policies.acknowledgements_viewed").exists()


def test_review_form_creates_actions_and_overdue_plan(cast: Cast) -> None:
    policy = approved_policy(cast.school)
    chair = client_for(cast, "chair")
    trustee = Person.objects.get(user=cast["trustee"])
    head = Person.objects.get(user=cast["headteacher"])
    form = {
        "held_on": "2026-01-10",
        "trustees_present": [trustee.pk],
        "discussion": "Went through it.",
        "outcome": "revise",
        "deficiencies": "Gap one\nGap two\n",
    }
    missing = chair.post(f"/s/test/policies/{policy.pk}/reviews/new/", form)
    assert missing.status_code == 400 and "Choose who owns the actions" in missing.content.decode()
    form.update({"action_owner": head.pk, "action_due_on": "2026-02-01"})
    assert chair.post(f"/s/test/policies/{policy.pk}/reviews/new/", form).status_code == 302
    assert ActionItem.objects.filter(source="review").count() == 2
    plan = client_for(cast, "headteacher").get("/s/test/policies/actions/").content.decode()
    assert "Gap one" in plan and "Overdue" in plan


def test_training_form_validates(cast: Cast) -> None:
    head = client_for(cast, "headteacher")
    teacher = Person.objects.get(user=cast["teacher"])
    bad = head.post(
        "/s/test/policies/training/",
        {"person": teacher.pk, "kind": "induction", "completed_on": "2999-01-01"},
    )
    assert bad.status_code == 400 and "cannot be in the future" in bad.content.decode()
    ok = head.post(
        "/s/test/policies/training/",
        {"person": teacher.pk, "kind": "induction", "completed_on": dt.date.today().isoformat()},
    )
    assert ok.status_code == 302


def test_public_pages_formats_and_copy_request(cast: Cast) -> None:
    policy = approved_policy(cast.school)
    make_policy(cast.school, "complaints", is_public=True)  # no version: not listed
    hidden = approved_policy(cast.school, "code_of_conduct", is_public=False)
    draft_version(cast.school)  # an open draft never shows publicly
    anonymous = Client()
    listing = anonymous.get("/p/test/").content.decode()
    assert "/p/test/policies/social-media/" in listing
    assert "Complaints" not in listing and hidden.title not in listing
    page = anonymous.get("/p/test/policies/social-media/").content.decode()
    assert "We keep everyone safe online." in page and "19b.004" in page
    assert anonymous.get(f"/p/test/policies/{hidden.slug}/").status_code == 404
    large = anonymous.get("/p/test/policies/social-media/?view=large").content.decode()
    assert "large-print.css" in large and "<style" not in large and "1(2)" in large
    text = anonymous.get("/p/test/policies/social-media.txt")
    assert text["Content-Type"].startswith("text/plain")
    assert "1(1) We keep everyone safe online." in text.content.decode()
    pdf = anonymous.get("/p/test/policies/social-media.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    url = "/p/test/policies/social-media/request-a-copy/"
    bad = anonymous.post(url, {"format": "braille", "name": "", "contact": ""})
    assert bad.status_code == 400 and "There is a problem" in bad.content.decode()
    assert not CopyRequest.objects.exists()
    sent = anonymous.post(url, {"format": "braille", "name": "A Parent", "contact": "0123"})
    assert sent.status_code == 302
    request = CopyRequest.objects.get()
    assert request.policy == policy
    office = client_for(cast, "office").get("/s/test/policies/copy-requests/").content.decode()
    assert "A Parent" in office and "Braille" in office
    assert "A Parent" not in "".join(
        str(e.fields) + e.object_id for e in AuditEntry.objects.all()
    )  # the audit trail names fields, never values


def test_review_form_attaches_a_review_pack_only_with_a_sound_period(cast: Cast) -> None:
    policy = approved_policy(cast.school)
    chair = client_for(cast, "chair")
    trustee = Person.objects.get(user=cast["trustee"])
    url = f"/s/test/policies/{policy.pk}/reviews/new/"
    form = {
        "held_on": "2026-01-10",
        "trustees_present": [trustee.pk],
        "discussion": "Went through the pack.",
        "outcome": "confirmed",
        "pack_from": "2025-01-01",
    }
    one = chair.post(url, form)
    assert one.status_code == 400
    assert "Give the last day of the review pack" in one.content.decode()
    del form["pack_from"]
    other = chair.post(url, {**form, "pack_to": "2025-12-31"})
    assert other.status_code == 400
    assert "Give the first day of the review pack" in other.content.decode()
    reversed_range = chair.post(url, {**form, "pack_from": "2025-12-31", "pack_to": "2025-01-01"})
    assert reversed_range.status_code == 400
    assert "on or after its first day" in reversed_range.content.decode()
    too_long = chair.post(url, {**form, "pack_from": "2023-01-01", "pack_to": "2025-12-31"})
    assert too_long.status_code == 400 and "at most two years" in too_long.content.decode()
    assert not FormalReview.objects.exists()

    saved = chair.post(url, {**form, "pack_from": "2025-01-01", "pack_to": "2025-12-31"})
    assert saved.status_code == 302
    review = FormalReview.objects.get()
    assert (review.pack_from, review.pack_to) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    entry = AuditEntry.objects.get(action="policies.review_recorded")
    assert "pack_from" in str(entry.fields) and "2025" not in str(entry.fields)
    page = chair.get(saved["Location"]).content.decode()
    assert "Annual review pack for 1 January 2025 to 31 December 2025" in page
    query = "?from=2025-01-01&amp;to=2025-12-31"
    assert f'href="/s/test/reviews/pack/{query}"' in page
    assert f'href="/s/test/reviews/pack.pdf{query}"' in page
