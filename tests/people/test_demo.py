from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from safesocial.people.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo, term_dates
from safesocial.people.models import Closure, ParentLink, Person, Role, RoleAssignment, Term

pytestmark = pytest.mark.django_db


def test_demo_school_has_its_people_every_role_and_no_duplicates_on_reload(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "safesocial-demo" in out and "headteacher" in out and "learner-sanctioned" in out
    school = load_demo()  # a second load
    people = Person.objects.for_school(school)
    staff = people.filter(kind__in=Person.STAFF_KINDS).count()
    learners = people.filter(kind=Person.Kind.LEARNER)
    assert 40 <= staff <= 50
    assert 595 <= learners.count() <= 610
    assert set(learners.values_list("year_group", flat=True)) == set(range(7, 14))
    assert people.filter(kind=Person.Kind.PARENT).count() >= learners.count()
    held = set(RoleAssignment.objects.for_school(school).values_list("role", flat=True))
    assert held == set(Role.values)
    counts_after_second_load = (people.count(), ParentLink.objects.count(), User.objects.count())
    load_demo()
    assert (people.count(), ParentLink.objects.count(), User.objects.count()) == (
        counts_after_second_load
    )


def test_every_demo_login_signs_in_with_the_demo_password() -> None:
    load_demo()
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert user.check_password(DEMO_PASSWORD), login.username
    parent = Person.objects.get(user__username="parent")
    learner = Person.objects.get(user__username="learner")
    assert parent.children_links.get().learner == learner and learner.year_group == 9
    assert Person.objects.get(user__username="learner-sanctioned").year_group == 10


def test_demo_logins_reach_their_home_page() -> None:
    load_demo()
    for username in ("teacher", "learner", "parent", "network-manager"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        response = client.get("/", follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == "/s/demo/", username


def test_term_dates_cover_current_and_next_year_with_inset_days() -> None:
    school = load_demo(today=dt.date(2026, 11, 26))
    terms = Term.objects.for_school(school)
    assert terms.order_by("starts_on").first().starts_on.year == 2026  # type: ignore[union-attr]
    assert terms.order_by("ends_on").last().ends_on.year == 2028  # type: ignore[union-attr]
    assert Closure.objects.for_school(school).filter(kind=Closure.Kind.INSET).count() == 6
    for name, starts, ends in term_dates(2026):
        assert starts.weekday() == 0 and starts < ends, name
