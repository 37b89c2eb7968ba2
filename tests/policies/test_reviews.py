"""Early-review triggers, formal reviews and the action plan (F3, 7)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from safesocial.people.models import Person, School
from safesocial.policies.models import ActionItem, FormalReview, ReviewTrigger
from safesocial.policies.services import (
    PolicyError,
    action_item_create,
    action_item_update,
    review_record,
    review_trigger_log,
)
from tests.conftest import Cast
from tests.policies.factories import approved_policy

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def person(cast: Cast, name: str) -> Person:
    return Person.objects.get(user=cast[name])


@time_machine.travel(NOW, tick=False)
def test_each_trigger_brings_the_due_date_forward_never_back(school: School) -> None:
    policy = approved_policy(school)
    assert policy.next_review_due == dt.date(2027, 3, 2)
    review_trigger_log(
        policy=policy,
        kind=ReviewTrigger.Kind.LEGISLATION,
        description="New statutory guidance published.",
        occurred_on=dt.date(2026, 3, 1),
        actor=None,
    )
    policy.refresh_from_db()
    assert policy.next_review_due == dt.date(2026, 3, 31)
    later = review_trigger_log(
        policy=policy,
        kind=ReviewTrigger.Kind.SYSTEMS,
        description="New filtering system.",
        occurred_on=dt.date(2026, 3, 2),
        review_by=dt.date(2026, 6, 1),
        actor=None,
    )
    policy.refresh_from_db()
    assert later.due_after == dt.date(2026, 3, 31) and policy.next_review_due == dt.date(
        2026, 3, 31
    )
    with pytest.raises(ValidationError):
        review_trigger_log(
            policy=policy,
            kind="meteor",
            description="x",
            occurred_on=dt.date(2026, 3, 2),
            actor=None,
        )
    assert ReviewTrigger.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_review_records_discussion_and_turns_deficiencies_into_actions(cast: Cast) -> None:
    policy = approved_policy(cast.school)
    trustees = [person(cast, "chair"), person(cast, "trustee")]
    review = review_record(
        policy=policy,
        held_on=dt.date(2026, 3, 1),
        trustees_present=trustees,
        discussion="The trustees went through each section.",
        outcome=FormalReview.Outcome.CONFIRMED,
        deficiencies=["Staff induction misses volunteers", "", "Channel list out of date"],
        action_owner=person(cast, "headteacher"),
        action_due_on=dt.date(2026, 4, 1),
        actor=cast["chair"],
    )
    assert set(review.trustees_present.all()) == set(trustees)
    items = list(ActionItem.objects.filter(review=review).order_by("pk"))
    assert [i.title for i in items] == [
        "Staff induction misses volunteers",
        "Channel list out of date",
    ]
    assert all(i.source == "review" and i.due_on == dt.date(2026, 4, 1) for i in items)
    policy.refresh_from_db()
    assert policy.last_reviewed_on == dt.date(2026, 3, 1)
    assert policy.next_review_due == dt.date(2027, 3, 1)


@time_machine.travel(NOW, tick=False)
def test_review_refuses_missing_trustees_owners_and_future_dates(cast: Cast) -> None:
    policy = approved_policy(cast.school)
    base = {
        "policy": policy,
        "held_on": dt.date(2026, 3, 1),
        "trustees_present": [person(cast, "chair")],
        "discussion": "x",
        "outcome": FormalReview.Outcome.REVISE,
        "deficiencies": [],
        "actor": None,
    }
    with pytest.raises(ValidationError, match="trustees"):
        review_record(**{**base, "trustees_present": []})
    with pytest.raises(ValidationError, match="owner"):
        review_record(**{**base, "deficiencies": ["Gap"]})
    with pytest.raises(ValidationError, match="future"):
        review_record(**{**base, "held_on": dt.date(2026, 3, 3)})
    assert FormalReview.objects.count() == 0 and ActionItem.objects.count() == 0


def test_action_items_from_other_apps_and_evidence_to_close(cast: Cast) -> None:
    owner = person(cast, "network_manager")
    item = action_item_create(
        school=cast.school,
        title="Block the new app on the guest network",
        source=ActionItem.Source.MONITORING,
        source_reference="report 7",
        owner=owner,
        due_on=dt.date(2030, 1, 1),
    )
    with pytest.raises(ValidationError, match="evidence"):
        action_item_update(
            item=item, actor=None, status="done", evidence=" ", owner=owner, due_on=item.due_on
        )
    action_item_update(
        item=item,
        actor=None,
        status="done",
        evidence="Rule added and tested.",
        owner=owner,
        due_on=item.due_on,
    )
    item.refresh_from_db()
    assert item.status == "done" and item.completed_on is not None
    with pytest.raises(PolicyError, match="staff or a trustee"):
        action_item_create(
            school=cast.school,
            title="x",
            source=ActionItem.Source.CONCERN,
            owner=person(cast, "learner"),
            due_on=dt.date(2030, 1, 1),
        )
    outsider = Person.objects.get(user=cast["outsider"])
    with pytest.raises(PolicyError):
        action_item_create(
            school=cast.school,
            title="x",
            source=ActionItem.Source.CONCERN,
            owner=outsider,
            due_on=dt.date(2030, 1, 1),
        )


@time_machine.travel(NOW, tick=False)
def test_review_pack_period_is_checked_by_the_model(cast: Cast) -> None:
    policy = approved_policy(cast.school)
    record = {
        "policy": policy,
        "held_on": dt.date(2026, 3, 1),
        "trustees_present": [person(cast, "chair")],
        "discussion": "Discussed.",
        "outcome": FormalReview.Outcome.CONFIRMED,
        "deficiencies": [],
        "actor": cast["chair"],
    }
    for pack_from, pack_to, field in (
        (dt.date(2025, 3, 1), None, "pack_to"),
        (None, dt.date(2026, 2, 28), "pack_from"),
        (dt.date(2026, 2, 28), dt.date(2025, 3, 1), "pack_to"),
        (dt.date(2024, 1, 1), dt.date(2026, 2, 28), "pack_to"),
    ):
        with pytest.raises(ValidationError) as error:
            review_record(**record, pack_from=pack_from, pack_to=pack_to)
        assert field in error.value.message_dict
    assert not FormalReview.objects.exists()
    review = review_record(**record, pack_from=dt.date(2025, 3, 1), pack_to=dt.date(2026, 2, 28))
    assert (review.pack_from, review.pack_to) == (dt.date(2025, 3, 1), dt.date(2026, 2, 28))
