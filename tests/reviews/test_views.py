"""The pages: who may see them, the date range's errors, the PDF, the trust's view, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safesocial.audit.models import AuditEntry
from safesocial.people.models import Person, Role, School
from safesocial.policies.models import FormalReview
from safesocial.reviews import controls
from safesocial.reviews.pack import build_pack, headline
from tests.conftest import MakeMember

from .conftest import NAMES, TODAY, Known

PACK = "/s/test/reviews/pack/?from=2026-01-01&to=2026-06-30"


def verified(user: User) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def test_map_lists_every_clause_and_is_audited(known: Known) -> None:
    response = verified(known.head).get("/s/test/reviews/")
    assert response.status_code == 200
    text = response.content.decode()
    for clause in controls.CLAUSES:
        assert f"Clause {clause}:" in text
    assert "Acceptable use policy acknowledged by 80% of staff" in text
    assert AuditEntry.objects.filter(
        action="reviews.map_viewed", school_id=known.school.pk
    ).exists()
    # Looked at today: the headteacher's audit control is now in place.
    evidence = controls.evaluate(
        next(c for c in controls.CONTROLS if c.key == "audit"), known.school, TODAY
    )
    assert evidence.status == controls.IN_PLACE


def test_map_shows_a_clause_without_control_as_missing(
    known: Known, monkeypatch: pytest.MonkeyPatch
) -> None:
    without = tuple(c for c in controls.CONTROLS if "4.1" not in c.clauses)
    monkeypatch.setattr(controls, "CONTROLS", without)
    text = verified(known.head).get("/s/test/reviews/").content.decode()
    assert "Clause 4.1:" in text and "No control carries out this clause." in text


def test_pack_page_shows_the_figures_and_is_audited(known: Known) -> None:
    response = verified(known.head).get(PACK)
    assert response.status_code == 200
    text = response.content.decode()
    assert "3 concern(s) reported from 1 January 2026 to 30 June 2026." in text
    assert "No monitoring logs have been ingested for this school." in text
    assert "80%" in text and "1 of 2 learners (50%)" in text
    assert "/s/test/reviews/pack.pdf?from=2026-01-01&amp;to=2026-06-30" in text
    entry = AuditEntry.objects.get(action="reviews.pack_viewed")
    assert entry.fields == ["2026-01-01..2026-06-30"]


def test_pack_without_a_period_shows_the_last_year(known: Known) -> None:
    response = verified(known.head).get("/s/test/reviews/pack/")
    assert response.status_code == 200
    assert "16 June 2025 to 15 June 2026" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-06-30&to=2026-01-01", "The last day must be on or after the first day"),
        ("from=yesterday&to=2026-01-01", "Enter the first day as a date like 2025-09-01"),
        ("from=2026-01-01", "Enter the last day of the period"),
        ("from=2020-01-01&to=2026-01-01", "Choose a period of at most two years"),
    ],
)
def test_bad_dates_are_refused_with_the_reason(known: Known, query: str, message: str) -> None:
    client = verified(known.head)
    for path in ("/s/test/reviews/pack/", "/s/test/reviews/pack.pdf"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        text = response.content.decode()
        assert "There is a problem" in text and message in text
    assert not AuditEntry.objects.filter(action__startswith="reviews.pack").exists()


def test_pdf(known: Known) -> None:
    response = verified(known.head).get("/s/test/reviews/pack.pdf?from=2026-01-01&to=2026-06-30")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "test-review-pack-20260101-20260630.pdf" in response["Content-Disposition"]
    assert AuditEntry.objects.filter(action="reviews.pack_downloaded").count() == 1


def test_refusals(known: Known, make_member: MakeMember, other_school: School) -> None:
    teacher = Client()
    teacher.force_login(known.teacher)
    for path in ("/s/test/reviews/", PACK, "/s/test/reviews/pack.pdf", "/s/test/reviews/trust/"):
        assert teacher.get(path).status_code == 403
    outsider = verified(make_member(other_school, "stranger", roles=(Role.HEADTEACHER,), totp=True))
    for path in ("/s/test/reviews/", PACK, "/s/test/reviews/trust/"):
        assert outsider.get(path).status_code == 404
    # The headteacher without a second factor is sent to give one.
    unverified = Client()
    unverified.force_login(known.head)
    response = unverified.get("/s/test/reviews/")
    assert response.status_code == 302 and "/accounts/two-factor/" in response["Location"]


def test_trust_view_has_every_school_and_no_names(
    known: Known, make_member: MakeMember, other_school: School
) -> None:
    make_member(other_school, "other-head", roles=(Role.HEADTEACHER,), first_name="Philomena")
    response = verified(known.head).get("/s/test/reviews/trust/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Test School" in text and "Other School" in text
    people = list(Person.objects.all())
    assert set(NAMES) <= {p.first_name for p in people}
    for name in [*NAMES, "Philomena", *(p.full_name for p in people)]:
        assert name not in text, name
    # Each column is the school's own headline, computed as the pack computes it.
    table = response.context["table"]
    day_from = TODAY.replace(year=2025, day=16)
    for index, school in enumerate([other_school, known.school]):  # ordered by name
        assert response.context["school_names"][index] == school.name
        expected = headline(build_pack(school, day_from, TODAY, today=TODAY))
        assert [values[index] for _, values in table] == [value for _, value in expected]
    # The year to 15 June 2026 holds the 3 concerns of the period and the one of December 2025.
    assert dict(table)["Concerns reported"] == ["0", "4"]
    assert dict(table)["Acceptable use policy acknowledged"] == ["no current version", "80%"]
    assert AuditEntry.objects.filter(action="reviews.trust_viewed").exists()


def test_chair_sees_the_trust_view_and_a_trustee_does_not(
    known: Known, make_member: MakeMember
) -> None:
    chair = User.objects.get(username="chair")
    assert verified(chair).get("/s/test/reviews/trust/").status_code == 200
    trustee = make_member(
        known.school,
        "trustee",
        kind=Person.Kind.TRUSTEE,
        roles=(Role.SAFEGUARDING_TRUSTEE,),
        totp=True,
    )
    client = verified(trustee)
    assert client.get("/s/test/reviews/trust/").status_code == 403
    assert client.get(PACK).status_code == 200


def test_pack_page_marks_the_review_this_pack_is_attached_to(known: Known) -> None:
    review = FormalReview.objects.get(school=known.school)
    client = verified(known.head)
    assert "This pack is attached" not in client.get(PACK).content.decode()
    review.pack_from, review.pack_to = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    review.save(update_fields=["pack_from", "pack_to"])
    text = client.get(PACK).content.decode()
    assert text.count("This pack is attached") == 1
    assert (
        "10 March 2026</a>: Policy to be revised"
        ' <strong class="govuk-tag">This pack is attached</strong></li>'
    ) in text
    other = client.get("/s/test/reviews/pack/?from=2026-01-01&to=2026-06-29").content.decode()
    assert "Social media policy, 10 March 2026" in other and "This pack is attached" not in other
