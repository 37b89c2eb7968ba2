"""The compliance map's statuses for the known school, clause by clause."""

from __future__ import annotations

import types
from typing import Any

import pytest

from safesocial.reviews import controls
from safesocial.reviews.controls import (
    CLAUSES,
    CONTROLS,
    IN_PLACE,
    MISSING,
    PARTLY,
    Control,
    Unavailable,
    compliance_map,
    evaluate,
    status_counts,
)

from .conftest import TODAY, Known

EXPECTED = {
    "public_copy": MISSING,  # the social media policy has no approved version
    "audit": PARTLY,  # the map was never looked at
    "review_schedule": MISSING,  # overdue since 1 May 2026
    "formal_review": IN_PLACE,
    "action_plan": PARTLY,  # 2 overdue
    "sign_off": MISSING,
    "dsl": IN_PLACE,
    "network_rules": MISSING,
    "linked_policies": PARTLY,
    "concern_routing": IN_PLACE,
    "sanctions": IN_PLACE,
    "remote_learning": IN_PLACE,
    "acknowledgements": PARTLY,
    "training": PARTLY,
    "allegations": IN_PLACE,
    "declarations": PARTLY,  # 1 awaiting a decision
    "channel_register": IN_PLACE,
    "credentials": PARTLY,  # nobody holds the login
    "two_person": IN_PLACE,
    "consent": IN_PLACE,
    "learner_accounts": IN_PLACE,
    "parents_told": IN_PLACE,
    "monitoring": MISSING,
    "reporting": IN_PLACE,
    "debriefs": PARTLY,  # C-3 closed without a debrief
    "retention": IN_PLACE,
}


def _results(known: Known) -> dict[str, Any]:
    rows = compliance_map(known.school, today=TODAY)
    return {r.control.key: r.evidence for row in rows for r in row.results}


def test_every_clause_of_the_policy_map_is_on_the_map() -> None:
    assert list(CLAUSES) == [
        "F1",
        "F2",
        "F3",
        "F4",
        "1",
        "2",
        "3",
        "4",
        "4.1",
        "4.2",
        "5",
        "6",
        "7",
        "8",
    ]
    for control in CONTROLS:
        assert set(control.clauses) <= set(CLAUSES), control.key
    carried = {clause for control in CONTROLS for clause in control.clauses}
    assert carried == set(CLAUSES)


def test_statuses_and_reasons(known: Known) -> None:
    results = _results(known)
    assert {key: e.status for key, e in results.items()} == EXPECTED
    assert (
        results["acknowledgements"].reason == "Acceptable use policy acknowledged by 80% of staff"
    )
    assert "1 of 5 yet to accept the Acceptable use policy" in results["acknowledgements"].gaps
    assert results["channel_register"].reason == (
        "1 channel(s), risk assessment approved on 1 February 2026, re-approval due 1 February 2027"
    )
    assert results["action_plan"].reason == "2 of 3 open action item(s) overdue"
    assert results["training"].reason == "2 of 5 up to date, 2 due, 1 overdue"
    assert results["review_schedule"].reason == "Review overdue since 1 May 2026"
    assert results["consent"].reason.startswith("1 of 2 learners (50%)")
    assert results["declarations"].gaps == ("1 awaiting a decision",)
    assert results["monitoring"].reason == "No server logs ingested"


def test_clause_status_is_its_worst_control(known: Known) -> None:
    rows = {row.clause: row for row in compliance_map(known.school, today=TODAY)}
    for clause, row in rows.items():
        statuses = {EXPECTED[r.control.key] for r in row.results}
        worst = MISSING if MISSING in statuses else PARTLY if PARTLY in statuses else IN_PLACE
        assert row.status == worst, clause
    assert rows["4.1"].status == IN_PLACE and rows["F2"].status == PARTLY
    assert status_counts(list(rows.values())) == {IN_PLACE: 1, PARTLY: 5, MISSING: 8}


def test_a_clause_without_a_control_is_missing_not_hidden(
    known: Known, monkeypatch: pytest.MonkeyPatch
) -> None:
    without = tuple(c for c in CONTROLS if "4.1" not in c.clauses)
    monkeypatch.setattr(controls, "CONTROLS", without)
    rows = {row.clause: row for row in compliance_map(known.school, today=TODAY)}
    assert list(rows) == list(CLAUSES)
    assert rows["4.1"].results == []
    assert rows["4.1"].status == MISSING
    assert rows["4.1"].reason == "No control carries out this clause."


def test_an_app_that_is_not_there_makes_its_controls_missing(
    known: Known, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(controls, "_channel_models", lambda: types.ModuleType("empty"))
    results = _results(known)
    for key in ("channel_register", "credentials", "two_person", "consent", "learner_accounts"):
        assert results[key].status == MISSING
        assert results[key].reason.startswith("Not available: empty has no ")

    def broken(school: Any, today: Any) -> Any:
        raise Unavailable("safesocial.channels.models cannot be loaded (ImportError)")

    evidence = evaluate(Control("x", "X", ("5",), broken), known.school, TODAY)
    assert (evidence.status, evidence.reason) == (
        MISSING,
        "Not available: safesocial.channels.models cannot be loaded (ImportError)",
    )


def test_a_check_that_fails_on_the_database_is_missing(known: Known) -> None:
    from django.db import DatabaseError

    def failing(school: Any, today: Any) -> Any:
        raise DatabaseError("no such table: channels_channel")

    evidence = evaluate(Control("x", "X", ("5",), failing), known.school, TODAY)
    assert evidence.status == MISSING and "DatabaseError" in evidence.reason
    # The transaction is still usable afterwards.
    assert _results(known)["dsl"].status == IN_PLACE
