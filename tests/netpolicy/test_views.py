"""The network pages: forms validated field by field, refusals as well as successes."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from safesocial.audit.models import AuditEntry
from safesocial.netpolicy.models import RemoteLearningApproval, Rule, Sanction, Segment
from safesocial.people.models import Person
from tests.access.test_routes import _client_for
from tests.conftest import Cast

RULE = {
    "action": "deny",
    "when": "school_hours",
    "groups": ["learners"],
    "categories": ["social"],
    "clause": "6",
    "reason": "Learners do not use personal social media in school hours",
}


def _url(name: str, **kwargs: Any) -> str:
    return reverse(f"netpolicy:{name}", kwargs={"school": "test", **kwargs})


def test_network_manager_adds_edits_moves_and_deletes_a_rule(cast: Cast) -> None:
    client = _client_for("network_manager", cast)
    page = client.get(_url("rules"))
    assert "no network rules yet" in page.content.decode()
    response = client.post(_url("rule_add"), RULE)
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert rule.groups == ["learners"] and rule.categories == ["social"]
    assert AuditEntry.objects.filter(action="netpolicy.rule_created").exists()
    page = client.get(_url("rules")).content.decode()
    assert "Learners do not use personal social media" in page
    response = client.post(_url("rule_edit", rule=rule.pk), {**RULE, "when": "always"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.when == "always"
    other = client.post(_url("rule_add"), {**RULE, "reason": "Second"})
    assert other.status_code == 302
    second = Rule.objects.get(reason="Second")
    client.post(_url("rule_move", rule=second.pk), {"direction": "up"})
    assert Rule.objects.values_list("reason", flat=True).first() == "Second"
    assert client.post(_url("rule_delete", rule=rule.pk)).status_code == 302
    assert list(Rule.objects.values_list("reason", flat=True)) == ["Second"]


def test_rule_form_errors_are_named_per_field(cast: Cast) -> None:
    client = _client_for("network_manager", cast)
    response = client.post(
        _url("rule_add"), {"action": "maybe", "when": "always", "clause": "9", "reason": ""}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"action", "clause", "reason"}
    response = client.post(
        _url("rule_add"), {"action": "deny", "when": "always", "clause": "3", "reason": "All"}
    )
    assert response.status_code == 400
    assert "stop the whole network" in response.content.decode()
    assert not Rule.objects.exists()


def test_a_teacher_cannot_change_rules(cast: Cast) -> None:
    client = _client_for("teacher", cast)
    assert client.post(_url("rule_add"), RULE).status_code == 403
    assert client.get(_url("rules")).status_code == 403
    assert not Rule.objects.exists()


def test_segment_form_checks_address_ranges(cast: Cast) -> None:
    client = _client_for("network_manager", cast)
    values = {"label": "Learners", "name": "learners", "kind": "school-owned"}
    bad = client.post(_url("segment_add"), {**values, "cidrs": "10.20.0.0/16\n10.20.0.1/16"})
    assert bad.status_code == 400 and "Line 2" in bad.content.decode()
    good = client.post(
        _url("segment_add"), {**values, "cidrs": "10.20.0.0/16", "expected_groups": "learners"}
    )
    assert good.status_code == 302
    assert Segment.objects.get().expected_groups == ["learners"]


def test_dsl_removes_and_gives_back_internet_access(cast: Cast) -> None:
    learner = Person.objects.get(user=cast["learner"])
    learner.network_username = "learner.net"
    learner.save()
    client = _client_for("dsl", cast)
    values = {"person": learner.pk, "starts_at": "2025-03-04 09:00", "reason": "Misuse"}
    bad = client.post(_url("sanctions"), {**values, "ends_at": "2025-03-03 09:00"})
    assert bad.status_code == 400 and "after the start" in bad.content.decode()
    assert not Sanction.objects.exists()
    ok = client.post(_url("sanctions"), {**values, "ends_at": "2035-03-11 15:30"})
    assert ok.status_code == 302
    sanction = Sanction.objects.get()
    assert sanction.source == "direct" and sanction.created_by == cast["dsl"]
    page = client.get(_url("sanctions")).content.decode()
    assert "Misuse" in page
    assert client.post(_url("sanction_end", sanction=sanction.pk)).status_code == 302
    sanction.refresh_from_db()
    assert sanction.ends_at is not None and sanction.ends_at < sanction.created_at.replace(
        year=2035
    )
    # The network manager runs the network but does not set sanctions.
    assert _client_for("network_manager", cast).get(_url("sanctions")).status_code == 403


def test_approval_sign_offs_through_the_page(cast: Cast) -> None:
    manager = _client_for("network_manager", cast)
    response = manager.post(
        _url("approvals"),
        {
            "service_id": "pinterest",
            "groups": ["learners"],
            "purpose": "Art",
            "risk_assessment": "Ok",
        },
    )
    assert response.status_code == 302
    approval = RemoteLearningApproval.objects.get()
    assert (
        manager.post(_url("approval_sign", approval=approval.pk), {"as": "dsl"}).status_code == 403
    )
    dsl = _client_for("dsl", cast)
    assert (
        dsl.post(_url("approval_sign", approval=approval.pk), {"as": "headteacher"}).status_code
        == 403
    )
    dsl.post(_url("approval_sign", approval=approval.pk), {"as": "dsl"})
    head = _client_for("headteacher", cast)
    head.post(_url("approval_sign", approval=approval.pk), {"as": "headteacher"})
    approval.refresh_from_db()
    assert approval.in_force
    assert "In force" in manager.get(_url("approvals")).content.decode()


def test_catalogue_and_school_service(cast: Cast) -> None:
    client = _client_for("network_manager", cast)
    page = client.get(_url("catalogue")).content.decode()
    assert "Instagram" in page and "YouTube" in page
    taken = client.post(
        _url("service_add"),
        {"name": "Mine", "service_id": "facebook", "category": "social", "domains": "a.example"},
    )
    assert taken.status_code == 400 and "taken" in taken.content.decode()
    added = client.post(
        _url("service_add"),
        {"name": "Yubo", "service_id": "yubo", "category": "social", "domains": "yubo.live"},
    )
    assert added.status_code == 302
    assert "Yubo" in client.get(_url("catalogue")).content.decode()
