"""Every figure of the pack against numbers worked out here, independently of the code."""

from __future__ import annotations

from collections import Counter

from safesocial.concerns.categories import Category
from safesocial.concerns.models import Concern
from safesocial.reviews.pack import STILL_OPEN, build_pack, headline

from .conftest import PERIOD, TODAY, Known


def test_every_figure_of_the_pack(known: Known) -> None:
    pack = build_pack(known.school, *PERIOD, today=TODAY)

    # Concerns: 3 in the period (the one of December 2025 is left out), two categories.
    assert pack.concerns_total == 3
    expected_categories = Counter(Category(c).label for c in known.concern_categories)
    assert (
        dict(pack.by_category)
        == expected_categories
        == {
            "Online bullying": 2,
            "Misuse of school devices or excessive use": 1,
        }
    )
    outcomes = Counter(
        Concern.Outcome(o).label if o else STILL_OPEN for o in known.concern_outcomes
    )
    assert (
        dict(pack.by_outcome)
        == outcomes
        == {
            "Substantiated": 1,
            "No further action needed": 1,
            STILL_OPEN: 1,
        }
    )

    # Lessons learnt, and the policy change they led to (now an open action item).
    assert len(pack.lessons) == 1
    lesson = pack.lessons[0]
    assert (lesson.reference, lesson.category) == ("C-1", "Online bullying")
    assert lesson.lessons == "Learners did not know how to report."
    assert lesson.changes == [
        ("Policy change", "Add how to report to the policy", "Action item: Not started")
    ]
    assert pack.policy_changes == 1

    # Action plan: 2 not started (1 overdue), 1 in progress (overdue), 1 done in the period.
    assert pack.actions_by_status == [("Not started", 2), ("In progress", 1), ("Done", 1)]
    assert pack.actions_overdue == 2
    assert pack.actions_created == 4
    assert pack.actions_completed == 1

    # No DuckDB file for the school: the pack says so.
    assert pack.monitoring_state == "none"
    assert pack.monitoring_message == "No monitoring logs have been ingested for this school."
    assert pack.findings == []

    # 4 of 5 staff accepted the AUP: 80%. Training 2 current, 2 due, 1 overdue.
    assert pack.acknowledgements == [("Acceptable use policy", 4, 5, round(100 * 4 / 5))]
    assert pack.acknowledgements[0][3] == 80
    assert pack.training == {"current": 2, "due": 2, "overdue": 1}

    # Consent: 1 of 2 learners covered for both purposes; no take-downs.
    assert pack.consent == (2, 1, 0)
    assert pack.consent_percent == 50
    # One channel, approved inside the period, re-approval a year on.
    assert pack.channels is not None and len(pack.channels) == 1
    channel = pack.channels[0]
    assert (channel.name, channel.approved_on) == ("Test School News", PERIOD[0].replace(month=2))
    assert channel.reapproval_due_on is not None
    assert (channel.reapproval_due_on - channel.approved_on).days == 365
    assert pack.channels_approved == 1

    # One declaration; no retention decisions, nothing due.
    assert (pack.declarations_in_period, pack.declarations_total) == (1, 1)
    assert pack.retention_decisions == [("Destroy now", 0), ("Keep, and review again later", 0)]
    assert pack.retention_due == 0
    assert [r.held_on.isoformat() for r in pack.reviews] == ["2026-03-10"]


def test_headline_is_counts_and_percentages(known: Known) -> None:
    rows = dict(headline(build_pack(known.school, *PERIOD, today=TODAY)))
    assert rows["Concerns reported"] == "3"
    assert rows["Concerns still open"] == "1"
    assert rows["Acceptable use policy acknowledged"] == "80%"
    assert rows["Training up to date"] == f"{round(100 * 2 / 5)}%"
    assert rows["Open action items overdue"] == "2"
    assert rows["Declarations made"] == "1"
    assert rows["Learners with image consent"] == "50%"
    assert rows["Monitoring findings"] == "none ingested"


def test_a_period_before_anything_happened_is_empty(known: Known) -> None:
    pack = build_pack(known.school, TODAY.replace(year=2020), TODAY.replace(year=2020), today=TODAY)
    assert pack.concerns_total == 0 and pack.by_category == [] and pack.lessons == []
    assert pack.declarations_in_period == 0 and pack.channels_approved == 0
    # Open items are shown whatever the period: they are the plan's state today.
    assert pack.actions_overdue == 2 and pack.actions_completed == 0
