"""Reminders before and on the review date, overdue alerts, idempotent runs (F3, 7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from safesocial.people.models import Person
from safesocial.policies import services
from safesocial.policies.models import ActionItem, Notice, Policy
from safesocial.policies.services import action_item_create, review_milestone
from tests.conftest import Cast

pytestmark = pytest.mark.django_db(transaction=True)
DUE = dt.date(2026, 9, 15)


def test_milestones() -> None:
    assert review_milestone(DUE, dt.date(2026, 7, 14)) is None
    assert review_milestone(DUE, dt.date(2026, 7, 15)) == ("2m", "due in 2 months")
    assert review_milestone(DUE, dt.date(2026, 8, 15)) == ("1m", "due in 1 month")
    assert review_milestone(DUE, dt.date(2026, 9, 8)) == ("1w", "due in 1 week")
    assert review_milestone(DUE, DUE) == ("due", "due today")
    assert review_milestone(DUE, dt.date(2026, 9, 16)) == ("overdue", "overdue")


def run_on(day: dt.date) -> None:
    with time_machine.travel(dt.datetime.combine(day, dt.time(7, 0), tzinfo=dt.UTC), tick=False):
        call_command("policy_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_owner_gets_each_reminder_once_and_the_headteacher_hears_when_overdue(
    cast: Cast, mailoutbox: list[Any], settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owner = Person.objects.get(user=cast["dsl"])
    owner.email = "dsl@school.example"
    owner.save()
    head = Person.objects.get(user=cast["headteacher"])
    head.email = "head@school.example"
    head.save()
    Policy.objects.create(
        school=cast.school,
        kind="online_safety",
        slug="online-safety",
        title="Online safety policy",
        owner=owner,
        next_review_due=DUE,
    )
    run_on(dt.date(2026, 7, 1))
    assert Notice.objects.count() == 0 and mailoutbox == []
    for day in (dt.date(2026, 7, 15), dt.date(2026, 7, 16), dt.date(2026, 8, 15)):
        run_on(day)
    keys = list(Notice.objects.filter(recipient=owner).values_list("key", flat=True))
    assert sorted(k.rsplit(":", 1)[1] for k in keys) == ["1m", "2m"]
    assert len(mailoutbox) == 2
    message = mailoutbox[0]
    assert message.to == ["dsl@school.example"]
    # The email carries a link, never what the notice is about.
    assert "Online safety" not in message.body and "/s/test/policies/" in message.body
    run_on(dt.date(2026, 9, 8))
    run_on(DUE)
    run_on(dt.date(2026, 9, 20))
    run_on(dt.date(2026, 9, 21))
    owner_keys = {
        k.rsplit(":", 1)[1]
        for k in Notice.objects.filter(recipient=owner).values_list("key", flat=True)
    }
    assert owner_keys == {"2m", "1m", "1w", "due", "overdue"}
    head_notices = Notice.objects.filter(recipient=head)
    assert [n.key.rsplit(":", 1)[1] for n in head_notices] == ["overdue"]
    assert len(mailoutbox) == 6


def test_overdue_action_alerts_the_headteacher_once(cast: Cast, mailoutbox: list[Any]) -> None:
    head = Person.objects.get(user=cast["headteacher"])
    with time_machine.travel(dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        item = action_item_create(
            school=cast.school,
            title="Update the channel list",
            source=ActionItem.Source.REVIEW,
            owner=Person.objects.get(user=cast["channel_manager"]),
            due_on=dt.date(2026, 5, 10),
        )
    run_on(dt.date(2026, 5, 10))
    assert not Notice.objects.filter(recipient=head, key__startswith="action:").exists()
    run_on(dt.date(2026, 5, 11))
    run_on(dt.date(2026, 5, 12))
    alerts = Notice.objects.filter(recipient=head, key=f"action:{item.pk}:2026-05-10:overdue")
    assert alerts.count() == 1


def test_new_starter_hears_when_induction_is_due_then_overdue(cast: Cast) -> None:
    teacher = Person.objects.get(user=cast["teacher"])
    teacher.start_date = dt.date(2026, 9, 1)
    teacher.save()
    run_on(dt.date(2026, 9, 2))
    run_on(dt.date(2026, 9, 3))
    run_on(dt.date(2026, 9, 30))
    keys = sorted(Notice.objects.filter(recipient=teacher).values_list("key", flat=True))
    assert keys == ["training:2026-09-21:due", "training:2026-09-21:overdue"]


def test_an_email_that_fails_goes_with_the_next_run_and_each_goes_once(
    cast: Cast, mailoutbox: list[Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The mail server fails on the second email of a run: the run stops there (the job is
    # retried); the notices made so far stay, and the next run sends what each is owed.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    people = []
    for role in ("dsl", "headteacher", "teacher"):
        person = Person.objects.get(user=cast[role])
        person.email = f"{role}@school.example"
        person.start_date = dt.date(2026, 9, 1)  # induction training due for each
        person.save()
        people.append(person)
    real_send = services.send_mail
    calls = {"n": 0}

    def flaky_send(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionRefusedError("the mail server is down")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(services, "send_mail", flaky_send)
    with pytest.raises(ConnectionRefusedError):
        run_on(dt.date(2026, 9, 2))
    made = Notice.objects.filter(recipient__in=people)
    assert len(mailoutbox) == 1 and made.filter(emailed=True).count() == 1
    assert made.filter(emailed=False).count() >= 1
    run_on(dt.date(2026, 9, 3))
    assert made.count() == 3 and not made.filter(emailed=False).exists()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)
    run_on(dt.date(2026, 9, 4))
    assert len(mailoutbox) == 3
