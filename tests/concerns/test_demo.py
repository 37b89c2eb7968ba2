"""The demo concerns: made through the services, idempotent, and the object rules hold on them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safesocial.access.core import can
from safesocial.access.core import membership as membership_of
from safesocial.audit.models import AuditEntry
from safesocial.concerns.categories import Category
from safesocial.concerns.models import (
    Alert,
    ChronologyEntry,
    Concern,
    Debrief,
    Decision,
    Declaration,
    Measure,
    ParentCommunication,
    Referral,
)
from safesocial.concerns.rules import declared_family
from safesocial.concerns.selectors import active_internet_sanctions, visible_concerns
from safesocial.netpolicy.models import Sanction
from safesocial.people.demo import load_demo
from safesocial.people.models import Person
from tests.concerns.conftest import verified

pytestmark = pytest.mark.django_db

MODELS = (
    Concern,
    ChronologyEntry,
    Decision,
    Referral,
    Measure,
    ParentCommunication,
    Debrief,
    Declaration,
    Alert,
    Sanction,
)


def counts() -> dict[str, int]:
    numbers = {model.__name__: model.objects.count() for model in MODELS}
    numbers["audit"] = AuditEntry.objects.filter(action__startswith="concern.").count()
    return numbers


def signed_in(username: str) -> Client:
    """A client past the second factor."""
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def test_demo_cases_load_once_through_the_services_and_the_rules_hold() -> None:
    school = load_demo()
    first = counts()
    load_demo()
    assert counts() == first

    cases = Concern.objects.for_school(school)
    assert cases.count() == 5 and first["Declaration"] == 1 and first["Sanction"] == 1
    assert set(cases.values_list("status", flat=True)) == {"open", "investigating", "closed"}
    assert cases.filter(reporter__isnull=True, reporter_kind="anonymous").count() == 1
    # Audit entries and alerts came the normal way.
    assert first["audit"] >= 5 + first["ChronologyEntry"] + first["Decision"]
    assert Alert.objects.filter(concern__category=Category.ALLEGATION, kind="allegation").exists()
    closed = cases.get(status=Concern.Status.CLOSED)
    assert closed.debrief.lessons and closed.debrief.proposals.count() == 1
    bullying = cases.get(category=Category.BULLYING)
    assert bullying.chronology.count() >= 2 and bullying.parent_comms.count() == 1
    allegation = cases.get(category=Category.ALLEGATION)
    assert allegation.referrals.get().agency == Referral.Agency.LADO
    assert allegation.clock_stopped_at is not None
    assert allegation.subject_staff is not None and allegation.subject_staff.user is None
    declaration = Declaration.objects.get()
    assert declaration.decided_at is not None and declaration.staff.user.username == "teacher"  # type: ignore[union-attr]

    # One internet sanction for the learner: from the concern, and the network demo added none.
    sanctioned = Person.objects.get(user__username="learner-sanctioned")
    sanction = Sanction.objects.get(person=sanctioned)
    measure = Measure.objects.get(person=sanctioned, kind=Measure.Kind.INTERNET_REMOVAL)
    assert (sanction.source, sanction.source_ref) == (Sanction.Source.CONCERN, measure.concern_id)
    assert [row[0] for row in active_internet_sanctions(school, measure.starts_at)] == [
        sanctioned.pk
    ]

    # The teacher reported the allegation, yet cannot open it; only its handler can. The DSL,
    # who sees every other case, and the chair (not added to it) find no such case.
    teacher = verified(User.objects.get(username="teacher"))
    assert can(teacher, "concerns.view_own", school=school, obj=allegation)
    assert not can(teacher, "concerns.allegations", school=school, obj=allegation)
    url = f"/s/demo/concerns/cases/{allegation.pk}/"
    assert signed_in("teacher").get(url).status_code == 403
    assert signed_in("headteacher").get(url).status_code == 200
    assert signed_in("dsl").get(url).status_code == 404
    assert signed_in("chair").get(url).status_code == 404
    dsl = membership_of(verified(User.objects.get(username="dsl")), school)
    assert dsl is not None
    assert set(visible_concerns(dsl).values_list("pk", flat=True)) == set(
        cases.exclude(pk=allegation.pk).values_list("pk", flat=True)
    )
    # The decided declaration keeps the teacher off the cases of that learner and family.
    assert declaration.learner_id in declared_family(Person.objects.get(user=teacher))
    # Every demo case and the dashboard render for the headteacher, who may see them all.
    head = signed_in("headteacher")
    for pk in cases.values_list("pk", flat=True):
        assert head.get(f"/s/demo/concerns/cases/{pk}/").status_code == 200
    assert head.get("/s/demo/concerns/dashboard/").status_code == 200
