from __future__ import annotations

import datetime as dt

from django.test import Client

from safesocial.people.models import Person, Role, RoleAssignment, School
from safesocial.people.selectors import role_warnings
from tests.conftest import MakeMember


def test_warnings_for_missing_headteacher_and_dsl_count(
    school: School, make_member: MakeMember
) -> None:
    messages = [w.message for w in role_warnings(school)]
    assert any("no current headteacher" in m for m in messages)
    assert any("no Designated Safeguarding Lead" in m for m in messages)
    make_member(school, "head", roles=(Role.HEADTEACHER,))
    make_member(school, "dsl1", roles=(Role.DSL,))
    assert role_warnings(school) == []
    make_member(school, "dsl2", roles=(Role.DSL,))
    assert [w.message for w in role_warnings(school)] == [
        "The school has 2 Designated Safeguarding Leads. "
        "The policy needs exactly one; make the others deputies."
    ]


def test_an_ended_role_no_longer_counts(school: School, make_member: MakeMember) -> None:
    make_member(school, "dsl1", roles=(Role.DSL,))
    RoleAssignment.objects.filter(role=Role.DSL).update(ends_on=dt.date(2021, 1, 1))
    assert any("no Designated Safeguarding Lead" in w.message for w in role_warnings(school))


def test_the_dashboard_shows_the_warning_to_leadership_not_to_learners(
    school: School, make_member: MakeMember
) -> None:
    leader = make_member(school, "lead", roles=(Role.LEADERSHIP,), totp=False)
    learner = make_member(school, "kid", kind=Person.Kind.LEARNER)
    client = Client()
    client.force_login(leader)
    page = client.get("/s/test/").content.decode()
    assert "no current headteacher" in page
    client.force_login(learner)
    page = client.get("/s/test/").content.decode()
    assert "no current headteacher" not in page and "report form" in page


def test_a_person_who_left_loses_access(school: School, make_member: MakeMember) -> None:
    user = make_member(school, "gone", leaving_date=dt.date(2021, 7, 20))
    client = Client()
    client.force_login(user)
    assert client.get("/s/test/").status_code == 404
    assert "not linked to a school" in client.get("/").content.decode()


def test_the_home_page_shows_reminders_and_waiting_alerts(
    school: School, make_member: MakeMember
) -> None:
    from django.utils import timezone

    from safesocial.concerns.categories import Category
    from safesocial.concerns.models import Alert, Concern
    from safesocial.concerns.services import concern_report
    from safesocial.policies.models import Notice

    user = make_member(school, "lead", roles=(Role.DSL,), totp=False)
    person = Person.objects.get(user=user)
    client = Client()
    client.force_login(user)
    page = client.get("/s/test/").content.decode()
    assert "Needs your attention" not in page
    Notice.objects.create(
        school=school,
        recipient=person,
        key="review-due",
        message="The acceptable use policy is due for review in 1 month.",
        created_at=timezone.now(),
    )
    page = client.get("/s/test/").content.decode()
    assert "due for review in 1 month" in page and "safeguarding alert" not in page
    concern_report(
        school=school,
        category=Category.BULLYING,
        what="Unkind messages in a group chat.",
        reporter_kind=Concern.ReporterKind.ANONYMOUS,
    )
    assert Alert.objects.filter(recipient=person).count() == 1
    page = client.get("/s/test/").content.decode()
    assert "1 safeguarding alert waiting for you" in page
    assert "Unkind messages" not in page  # a count and a link, never the content
