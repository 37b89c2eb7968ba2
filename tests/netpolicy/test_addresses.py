"""The device and address register: its pages, its checks, and the snapshot's address map."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from safesocial.audit.models import AuditEntry
from safesocial.enforce.engine import PolicyEngine
from safesocial.enforce.snapshot import load_snapshot
from safesocial.netpolicy.compile import person_key
from safesocial.netpolicy.models import AddressAssignment
from safesocial.netpolicy.selectors import snapshot_path
from safesocial.netpolicy.services import address_assign, address_update
from safesocial.people.models import Person, School
from tests.access.test_routes import _client_for
from tests.conftest import Cast

from .conftest import IN_HOURS, Network


def _url(name: str, **kwargs: Any) -> str:
    return reverse(f"netpolicy:{name}", kwargs={"school": "test", **kwargs})


def _on_network(cast: Cast, role: str = "learner") -> Person:
    person = Person.objects.get(user=cast[role])
    person.network_username = f"{role}.net"
    person.save()
    return person


def _audit_count() -> int:
    return AuditEntry.objects.filter(action__startswith="netpolicy.address_").count()


def test_network_manager_adds_edits_and_removes_an_address(cast: Cast) -> None:
    learner = _on_network(cast)
    client = _client_for("network_manager", cast)
    page = client.get(_url("addresses")).content.decode()
    assert "No addresses in the register yet" in page
    assert "DHCP reservation" in page  # the empty state says what the register is for
    response = client.post(
        _url("address_add"), {"address": " 10.20.1.7 ", "person": learner.pk, "note": "Laptop"}
    )
    assert response.status_code == 302
    entry = AddressAssignment.objects.get()
    assert (entry.address, entry.person, entry.device, entry.note) == (
        "10.20.1.7",
        learner,
        "",
        "Laptop",
    )
    created = AuditEntry.objects.get(action="netpolicy.address_assigned")
    assert created.fields == ["address", "device", "note", "person"]  # names, never values
    page = client.get(_url("addresses")).content.decode()
    assert "10.20.1.7" in page and learner.full_name in page

    # Edit: the entry does not clash with itself; a device replaces the person.
    response = client.post(
        _url("address_edit", assignment=entry.pk),
        {"address": "10.20.1.7", "device": "Library kiosk", "note": "Laptop"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.person is None and entry.device == "Library kiosk"
    updated = AuditEntry.objects.get(action="netpolicy.address_updated")
    assert updated.fields == ["device", "person"]

    assert client.get(_url("address_delete", assignment=entry.pk)).status_code == 200
    assert client.post(_url("address_delete", assignment=entry.pk)).status_code == 302
    assert not AddressAssignment.objects.exists()
    assert AuditEntry.objects.filter(action="netpolicy.address_removed").exists()


def test_a_teacher_cannot_change_the_register(cast: Cast) -> None:
    client = _client_for("teacher", cast)
    assert client.get(_url("addresses")).status_code == 403
    response = client.post(_url("address_add"), {"address": "10.20.1.7", "device": "Kiosk"})
    assert response.status_code == 403
    assert not AddressAssignment.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"address": "10.20.1.300", "device": "Kiosk"}, "address", "is not an IP address"),
        ({"address": "10.20.1.0/33", "device": "Kiosk"}, "address", "is not an IP address"),
        ({"address": "10.20.1.1/24", "device": "Kiosk"}, "address", "host part is zero"),
        ({"address": "", "device": "Kiosk"}, "address", "required"),
        ({"address": "10.20.1.7", "device": "Kiosk", "person": "LEARNER"}, "device", "not both"),
        ({"address": "10.20.1.7"}, "person", "a person or give a device name"),
        ({"address": "10.20.0.5", "device": "Kiosk"}, "address", "is already in the register"),
        ({"address": "10.20.0.0/29", "device": "Kiosk"}, "address", "overlaps 10.20.0.5"),
        ({"address": "10.20.1.7", "person": "TEACHER"}, "person", "valid choice"),
    ],
)
def test_address_form_names_the_field_at_fault(
    cast: Cast, values: dict[str, Any], field: str, message: str
) -> None:
    learner = _on_network(cast)
    Person.objects.filter(user=cast["teacher"]).update(network_username="teacher.net")
    Person.objects.filter(user=cast["teacher"]).update(leaving_date=dt.date(2020, 7, 31))
    existing = AddressAssignment.objects.create(
        school=cast.school, address="10.20.0.5", device="Office printer"
    )
    people = {"LEARNER": learner.pk, "TEACHER": Person.objects.get(user=cast["teacher"]).pk}
    if "person" in values:
        values = {**values, "person": people[values["person"]]}
    audited = _audit_count()
    client = _client_for("network_manager", cast)
    response = client.post(_url("address_add"), values)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    assert list(AddressAssignment.objects.all()) == [existing]  # nothing written
    assert _audit_count() == audited


def test_ipv6_addresses_and_ranges_are_kept_in_canonical_form(cast: Cast) -> None:
    client = _client_for("network_manager", cast)
    ok = client.post(_url("address_add"), {"address": "2001:DB8:0:0::7", "device": "Kiosk"})
    assert ok.status_code == 302
    assert AddressAssignment.objects.get().address == "2001:db8::7"
    clash = client.post(_url("address_add"), {"address": "2001:db8::/64", "device": "Lab"})
    assert clash.status_code == 400 and "overlaps 2001:db8::7" in clash.content.decode()


def test_services_refuse_people_the_network_cannot_name(cast: Cast, other_school: School) -> None:
    actor = cast["network_manager"]
    learner = _on_network(cast)
    parent = Person.objects.create(
        school=cast.school, kind=Person.Kind.PARENT, first_name="Pat", last_name="Parent",
        network_username="pat.parent",
    )  # fmt: skip
    elsewhere = Person.objects.create(
        school=other_school, kind=Person.Kind.LEARNER, first_name="Eve", last_name="Else",
        network_username="eve.else",
    )  # fmt: skip
    for person in (parent, elsewhere):
        with pytest.raises(ValidationError) as refused:
            address_assign(school=cast.school, actor=actor, address="10.0.0.1", person=person)
        assert "person" in refused.value.message_dict
    learner.leaving_date = dt.date(2020, 7, 31)
    learner.save()
    with pytest.raises(ValidationError) as refused:
        address_assign(school=cast.school, actor=actor, address="10.0.0.1", person=learner)
    assert "person" in refused.value.message_dict
    assert not AddressAssignment.objects.exists()

    # A failed update leaves the stored entry as it was.
    entry = address_assign(school=cast.school, actor=actor, address="10.0.0.1", device="Kiosk")
    address_assign(school=cast.school, actor=actor, address="10.0.0.2", device="Printer")
    with pytest.raises(ValidationError) as refused:
        address_update(entry=entry, actor=actor, address="10.0.0.0/30", device="Kiosk")
    assert "address" in refused.value.message_dict
    entry.refresh_from_db()
    assert entry.address == "10.0.0.1"


def test_the_compiled_snapshot_maps_the_address_to_the_person(
    network: Network, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    AddressAssignment.objects.create(
        school=network.school, address="10.30.0.0/24", device="Library kiosks"
    )
    client = _client_for("network_manager", cast)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("address_add"), {"address": "10.20.1.7", "person": network.learner.pk}
        )
    assert response.status_code == 302
    engine = PolicyEngine(load_snapshot(snapshot_path(network.school)))

    identity = engine.identify(None, "10.20.1.7")  # no proxy login
    assert identity.person is not None
    assert identity.person.id == person_key(network.learner.pk)
    assert identity.groups == frozenset({"learners"})
    assert engine.identify(None, "10.30.0.9").device == "Library kiosks"
    # The learner's rule follows the address: social media blocked in school hours.
    decision = engine.decide(None, "10.20.1.7", "www.instagram.com", IN_HOURS)
    assert not decision.allowed and decision.clause == "6"
    assert engine.decide(None, "10.20.1.8", "www.instagram.com", IN_HOURS).allowed
