"""Services: every change audited, recompiled after commit; sanctions and sign-offs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from safesocial.audit.models import AuditEntry
from safesocial.netpolicy.models import CompiledSnapshot, RemoteLearningApproval, Rule, Sanction
from safesocial.netpolicy.services import (
    default_rules_install,
    remote_learning_propose,
    remote_learning_sign,
    rule_create,
    rule_delete,
    rule_move,
    rule_update,
    sanction_end,
    sanction_set,
)
from safesocial.people.models import Person, School

from .conftest import Network, london


def _committed() -> None:
    """The test's transaction never commits; a real commit empties the callback list."""
    transaction.get_connection().run_on_commit.clear()


def _actions() -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))


def test_rule_changes_are_audited_and_recompile_once_after_commit(
    network: Network, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rule = rule_create(
            school=network.school, actor=None, action="deny", when="always", clause="3",
            reason="No gambling", categories=["social"], groups=["guests"],
        )  # fmt: skip
        rule_update(
            rule=rule, actor=None, action="deny", when="always", clause="3",
            reason="No gambling sites", categories=["social"], groups=["guests"],
        )  # fmt: skip
    assert len(callbacks) == 1  # one recompile for the whole transaction
    _committed()
    assert CompiledSnapshot.objects.filter(school=network.school).count() == 1
    entry = AuditEntry.objects.get(action="netpolicy.rule_updated")
    assert entry.fields == ["reason"]
    with django_capture_on_commit_callbacks(execute=True):
        rule_move(rule=rule, actor=None, direction="up")
    _committed()
    positions = list(Rule.objects.for_school(network.school).values_list("pk", flat=True))
    assert positions.index(rule.pk) == 1  # moved above the last default rule
    with django_capture_on_commit_callbacks(execute=True):
        rule_delete(rule=rule, actor=None)
    assert not Rule.objects.filter(pk=rule.pk).exists()
    assert {"netpolicy.rule_created", "netpolicy.rule_moved", "netpolicy.rule_deleted"} <= set(
        _actions()
    )
    assert CompiledSnapshot.objects.filter(school=network.school).count() == 3


def test_rule_refuses_bad_values(network: Network, other_school: School) -> None:
    with pytest.raises(ValidationError) as raised:
        rule_create(
            school=network.school, actor=None, action="maybe", when="always", clause="9",
            reason="", groups=["aliens"],
        )  # fmt: skip
    assert "groups" in raised.value.message_dict
    stranger = Person.objects.create(
        school=other_school, kind=Person.Kind.LEARNER, first_name="S", last_name="T"
    )
    with pytest.raises(ValidationError):
        rule_create(
            school=network.school, actor=None, action="deny", when="always", clause="3",
            reason="x", people=[stranger],
        )  # fmt: skip
    with pytest.raises(ValidationError):
        rule_move(rule=Rule.objects.first(), actor=None, direction="sideways")  # type: ignore[arg-type]


def test_default_rules_install_only_once(school: School) -> None:
    assert default_rules_install(school=school) == 2
    assert default_rules_install(school=school) == 0
    rules = list(Rule.objects.for_school(school))
    assert [(r.clause, r.groups) for r in rules] == [
        ("6", ["learners"]),
        ("4", ["staff", "volunteers"]),
    ]


def test_sanction_set_from_a_concern_and_ended(network: Network) -> None:
    sanction = sanction_set(
        school=network.school, person=network.learner, starts_at=london("2025-03-04T09:00"),
        ends_at=london("2025-03-07T15:00"), actor=None, source="concern", source_ref=17,
    )  # fmt: skip
    assert sanction.source_ref == 17
    assert "netpolicy.sanction_set" in _actions()
    ended = sanction_end(sanction=sanction, actor=None, at=london("2025-03-05T12:00"))
    assert ended.ends_at == london("2025-03-05T12:00")
    with pytest.raises(ValidationError, match="already ended"):
        sanction_end(sanction=sanction, actor=None, at=london("2025-03-06T12:00"))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"ends_at": london("2025-03-04T08:00")}, "ends_at"),
        ({"source": "concern"}, "source_ref"),
        ({"source": "rumour"}, "source"),
    ],
)
def test_sanction_set_refuses_bad_values(network: Network, values: dict, field: str) -> None:
    args = {
        "school": network.school, "person": network.learner, "actor": None,
        "starts_at": london("2025-03-04T09:00"), "ends_at": None, "source": "direct",
    } | values  # fmt: skip
    with pytest.raises(ValidationError) as raised:
        sanction_set(**args)
    assert field in raised.value.message_dict
    assert not Sanction.objects.filter(person=network.learner).exists()


def test_sanction_set_refuses_a_person_of_another_school(
    network: Network, other_school: School
) -> None:
    with pytest.raises(ValidationError):
        sanction_set(
            school=other_school, person=network.learner, starts_at=london("2025-03-04T09:00"),
            ends_at=None, actor=None, source="direct",
        )  # fmt: skip


def test_remote_learning_needs_two_different_signers(
    network: Network, django_capture_on_commit_callbacks: Any
) -> None:
    approval = remote_learning_propose(
        school=network.school, proposer=network.teacher, service_id="pinterest",
        groups=["learners"], purpose="Art", risk_assessment="Assessed", actor=None,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        remote_learning_sign(approval=approval, signer=network.teacher, as_role="dsl", actor=None)
    assert callbacks == []  # not in force yet: nothing to recompile
    with pytest.raises(ValidationError, match="another person"):
        remote_learning_sign(
            approval=approval, signer=network.teacher, as_role="headteacher", actor=None
        )
    with pytest.raises(ValidationError, match="already signed"):
        remote_learning_sign(
            approval=approval, signer=network.channel_manager, as_role="dsl", actor=None
        )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        signed = remote_learning_sign(
            approval=approval, signer=network.channel_manager, as_role="headteacher", actor=None
        )
    assert signed.in_force and len(callbacks) == 1
    with pytest.raises(ValidationError, match="Choose who"):
        remote_learning_propose(
            school=network.school, proposer=network.teacher, service_id="x", groups=[],
            purpose="p", risk_assessment="r", actor=None,
        )  # fmt: skip
    assert RemoteLearningApproval.objects.count() == 1


def test_recompile_failure_queues_a_job(
    network: Network, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from safesocial.jobs.models import Job

    settings.SAFESOCIAL_SNAPSHOT_DIR = "/proc/cannot-write-here"
    with django_capture_on_commit_callbacks(execute=True):
        sanction_set(
            school=network.school, person=network.learner, actor=None, source="direct",
            starts_at=london("2025-03-04T09:00"), ends_at=london("2025-03-04T10:00"),
        )  # fmt: skip
    assert Job.objects.filter(kind="netpolicy.compile").count() == 1
    assert dt.date.today()  # the page that made the change did not fail
