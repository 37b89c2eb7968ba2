"""The case: allegation clock, chronology, referrals, sanctions, parents, closure, evidence,
exports and retention."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from safesocial.audit.models import AuditEntry
from safesocial.concerns.categories import Category
from safesocial.concerns.files import CheckedFile
from safesocial.concerns.models import Alert, CaseMember, Concern, Measure
from safesocial.concerns.selectors import active_internet_sanctions
from safesocial.concerns.services import (
    chronology_add,
    clock_escalate,
    concern_close,
    evidence_add,
    measure_record,
    parent_communication_record,
    referral_record,
)
from safesocial.people.models import Closure, Person
from tests.concerns.conftest import person_of, report
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
LONDON = dt.timezone(dt.timedelta(0))


def _allegation(cast: Cast) -> Concern:
    return report(
        cast.school,
        by=person_of(cast["volunteer"]),
        category=Category.ALLEGATION,
        about=person_of(cast["teacher"]),
    )


def test_allegation_clock_counts_school_working_days(cast: Cast) -> None:
    # Friday 2 May 2025, 10:00; Monday 5 May is a bank holiday; Tuesday 6 May is an INSET day.
    Closure.objects.create(school=cast.school, date=dt.date(2025, 5, 6))
    with time_machine.travel(dt.datetime(2025, 5, 2, 10, 0, tzinfo=LONDON), tick=False):
        concern = _allegation(cast)
    due = timezone.localtime(concern.clock_due_at)
    assert (due.date(), due.hour) == (dt.date(2025, 5, 7), 11)  # 10:00 UTC = 11:00 BST


def test_overdue_clock_escalates_to_the_next_person_and_lado_stops_it(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 4, 10, 0, tzinfo=LONDON), tick=False):
        concern = _allegation(cast)
    with time_machine.travel(dt.datetime(2025, 3, 5, 9, 0, tzinfo=LONDON), tick=False):
        assert clock_escalate(concern=concern) is None  # not due yet
    with time_machine.travel(dt.datetime(2025, 3, 5, 10, 30, tzinfo=LONDON), tick=False):
        added = clock_escalate(concern=concern)
    assert added == person_of(cast["chair"])
    assert CaseMember.objects.filter(concern=concern, person=added).exists()
    kinds = set(
        Alert.objects.filter(concern=concern).values_list("kind", "recipient__user__username")
    )
    assert ("overdue", "chair") in kinds and ("overdue", "headteacher") in kinds
    with time_machine.travel(dt.datetime(2025, 3, 5, 11, 0, tzinfo=LONDON), tick=False):
        referral_record(
            concern=concern,
            agency="lado",
            contacted_on=dt.date(2025, 3, 5),
            agency_reference="LADO-1",
            advice="Proceed with an internal investigation.",
            actor=person_of(cast["headteacher"]),
        )
    concern.refresh_from_db()
    assert concern.clock_stopped_at is not None
    with time_machine.travel(dt.datetime(2025, 3, 10, 10, 0, tzinfo=LONDON), tick=False):
        assert clock_escalate(concern=concern) is None


def test_backdated_chronology_needs_a_reason(cast: Cast) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]))
    dsl = person_of(cast["dsl"])
    earlier = timezone.now() - dt.timedelta(days=2)
    with pytest.raises(ValidationError) as refused:
        chronology_add(concern=concern, happened_at=earlier, text="Spoke to pupil.", actor=dsl)
    assert "backdate_reason" in refused.value.message_dict
    entry = chronology_add(
        concern=concern,
        happened_at=earlier,
        text="Spoke to pupil.",
        backdate_reason="Recorded after the weekend.",
        actor=dsl,
    )
    assert entry.recorded_by == dsl
    with pytest.raises(ValidationError):
        chronology_add(
            concern=concern, happened_at=timezone.now() + dt.timedelta(days=1), text="x", actor=dsl
        )


def test_internet_sanction_is_exposed_for_the_network_policy(cast: Cast) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]), category=Category.DEVICE_MISUSE)
    learner = person_of(cast["learner"])
    start = timezone.now()
    with pytest.raises(ValidationError):
        measure_record(
            concern=concern,
            person=learner,
            kind=Measure.Kind.INTERNET_REMOVAL,
            starts_at=start,
            actor=person_of(cast["dsl"]),
        )
    measure_record(
        concern=concern,
        person=learner,
        kind=Measure.Kind.INTERNET_REMOVAL,
        starts_at=start,
        ends_at=start + dt.timedelta(days=3),
        actor=person_of(cast["dsl"]),
    )
    measure_record(
        concern=concern,
        person=learner,
        kind=Measure.Kind.PASTORAL,
        starts_at=start,
        actor=person_of(cast["dsl"]),
    )
    active = active_internet_sanctions(cast.school, start + dt.timedelta(hours=1))
    assert [row[0] for row in active] == [learner.pk]
    assert active_internet_sanctions(cast.school, start + dt.timedelta(days=4)) == []
    assert active_internet_sanctions(cast.school, start - dt.timedelta(hours=1)) == []


def test_parent_communication_needs_when_and_how_or_a_reason(cast: Cast) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]))
    dsl = person_of(cast["dsl"])
    with pytest.raises(ValidationError) as refused:
        parent_communication_record(concern=concern, informed=False, actor=dsl)
    assert "reason_not_informed" in refused.value.message_dict
    with pytest.raises(ValidationError):
        parent_communication_record(concern=concern, informed=True, actor=dsl, method="phone")
    record = parent_communication_record(
        concern=concern, informed=True, informed_at=timezone.now(), method="phone", actor=dsl
    )
    assert record.pk


def test_closing_needs_a_debrief_and_keeps_proposals(cast: Cast) -> None:
    from safesocial.concerns.services import ProposalInput

    concern = report(cast.school, by=person_of(cast["teacher"]))
    dsl = person_of(cast["dsl"])
    with pytest.raises(ValidationError) as refused:
        concern_close(concern=concern, what_happened="", lessons="", actor=dsl)
    assert {"what_happened", "lessons"} <= set(refused.value.message_dict)
    concern.refresh_from_db()
    assert concern.status != Concern.Status.CLOSED
    concern_close(
        concern=concern,
        what_happened="Group chat unkindness, resolved with the pupils.",
        lessons="Year 8 need a refresher on group chats.",
        proposals=[ProposalInput("curriculum", "Add a PSHE lesson on group chats.", "action_item")],
        actor=dsl,
    )
    concern.refresh_from_db()
    assert concern.status == Concern.Status.CLOSED
    assert concern.debrief.proposals.count() == 1
    proposal = concern.debrief.proposals.get()
    from safesocial.policies.models import ActionItem

    item = ActionItem.objects.get(pk=proposal.linked_id)
    assert item.source_reference == f"concern {concern.pk}"
    with pytest.raises(ValidationError):
        chronology_add(concern=concern, happened_at=timezone.now(), text="late", actor=dsl)
    allegation = _allegation(cast)
    with pytest.raises(ValidationError) as no_outcome:
        concern_close(
            concern=allegation, what_happened="x", lessons="y", actor=person_of(cast["headteacher"])
        )
    assert "outcome" in no_outcome.value.message_dict


def _signed_in(user: Any) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def test_case_page_evidence_and_exports_are_audited_and_guarded(
    cast: Cast, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PRIVATE_FILES_DIR = tmp_path
    learner = person_of(cast["learner"])
    concern = report(cast.school, by=person_of(cast["teacher"]), affected=learner)
    with django_capture_on_commit_callbacks(execute=True):  # the file is written on commit
        item = evidence_add(
            concern=concern,
            checked=CheckedFile("shot.txt", "text/plain", b"words", "0" * 64),
            actor=person_of(cast["dsl"]),
        )
    dsl = _signed_in(cast["dsl"])
    base = f"/s/test/concerns/cases/{concern.pk}/"
    assert dsl.get(base).status_code == 200
    download = dsl.get(f"{base}evidence/{item.pk}/")
    assert download.status_code == 200 and download.content == b"words"
    assert download["Content-Disposition"].startswith("attachment")
    pdf = dsl.get(f"{base}summary.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    chronology = dsl.get(f"/s/test/concerns/learners/{learner.pk}/chronology.csv")
    assert concern.reference in chronology.content.decode()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "concern.viewed",
        "concern.evidence_viewed",
        "concern.summary_exported",
        "concern.learner_chronology_exported",
    } <= actions
    # A teacher may not fetch the file; a bad action posts nothing.
    teacher = _signed_in(cast["teacher"])
    assert teacher.get(f"{base}evidence/{item.pk}/").status_code == 403
    bad = dsl.post(f"{base}do/referral/", {"referral-agency": "lado"})
    assert bad.status_code == 400 and "Date of contact" in bad.content.decode()
    good = dsl.post(
        f"{base}do/decision/", {"decision-decision": "Monitor.", "decision-reasons": "Low risk."}
    )
    assert good.status_code == 302
    assert dsl.get("/s/test/concerns/dashboard/").status_code == 200


def test_retention_review_lists_due_records_and_destroys_only_on_decision(cast: Cast) -> None:
    from safesocial.concerns.services import retention_decide

    learner = person_of(cast["learner"])
    learner.date_of_birth = dt.date(1990, 1, 1)
    learner.save(update_fields=["date_of_birth"])
    old = report(cast.school, by=person_of(cast["teacher"]), affected=learner)
    recent = report(cast.school, by=person_of(cast["teacher"]))
    out = StringIO()
    call_command("retention_review", "--school", "test", "--on", "2025-06-01", stdout=out)
    assert old.reference in out.getvalue() and recent.reference not in out.getvalue()
    assert Concern.objects.filter(pk=old.pk).exists()  # listing destroys nothing
    with pytest.raises(ValidationError):
        retention_decide(
            school=cast.school,
            record_type="concern",
            record_id=old.pk,
            action="keep",
            reason="Ongoing",
            actor=person_of(cast["dsl"]),
        )
    retention_decide(
        school=cast.school,
        record_type="concern",
        record_id=old.pk,
        action="destroy",
        reason="Past its retention date.",
        actor=person_of(cast["dsl"]),
    )
    assert not Concern.objects.filter(pk=old.pk).exists()
    assert Person.objects.filter(pk=learner.pk).exists()


def test_a_case_sanction_is_enforced_by_the_network_policy(cast: Cast) -> None:
    """Removal of internet access recorded on a case becomes a network sanction: the compiled
    policy refuses the learner's next request, and only for the sanction's time."""
    from safesocial.enforce.engine import PolicyEngine
    from safesocial.netpolicy.compile import build_snapshot
    from safesocial.netpolicy.models import Sanction

    concern = report(cast.school, by=person_of(cast["teacher"]), category=Category.DEVICE_MISUSE)
    learner = person_of(cast["learner"])
    learner.network_username = "kid1"
    learner.save(update_fields=["network_username"])
    start = timezone.now()
    measure_record(
        concern=concern,
        person=learner,
        kind=Measure.Kind.INTERNET_REMOVAL,
        starts_at=start,
        ends_at=start + dt.timedelta(days=3),
        actor=person_of(cast["dsl"]),
    )
    sanction = Sanction.objects.get(person=learner)
    assert (sanction.source, sanction.source_ref) == (Sanction.Source.CONCERN, concern.pk)
    engine = PolicyEngine(build_snapshot(cast.school).snapshot)
    during = engine.decide("kid1", None, "www.school-site.example", start + dt.timedelta(hours=1))
    after = engine.decide("kid1", None, "www.school-site.example", start + dt.timedelta(days=4))
    assert not during.allowed and during.clause == "3"
    assert after.allowed
