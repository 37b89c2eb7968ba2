"""The object rules of concerns, through the access module: each with refusal and success."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from safesocial.access.core import can, require
from safesocial.access.core import membership as membership_of
from safesocial.concerns.categories import Category
from safesocial.concerns.models import Involvement
from safesocial.concerns.selectors import visible_concerns
from safesocial.concerns.services import (
    case_member_add,
    declaration_create,
    declaration_decide,
    involvement_add,
)
from safesocial.people.models import Person
from tests.concerns.conftest import person_of, report, verified
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def sees(cast: Cast, name: str, concern: object, cap: str = "concerns.view_all") -> bool:
    return can(verified(cast[name]), cap, school=cast.school, obj=concern)


def test_staff_see_the_concerns_they_reported_not_others(cast: Cast) -> None:
    mine = report(cast.school, by=person_of(cast["teacher"]))
    theirs = report(cast.school, by=person_of(cast["volunteer"]))
    assert sees(cast, "teacher", mine, "concerns.view_own")
    assert not sees(cast, "teacher", theirs, "concerns.view_own")
    with pytest.raises(Http404):
        require(verified(cast["teacher"]), "concerns.view_own", school=cast.school, obj=theirs)
    # Without view_all a member of staff cannot open anyone's case.
    assert not sees(cast, "teacher", mine)


def test_safeguarding_team_sees_every_concern(cast: Cast) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]))
    for name in ("dsl", "deputy_dsl", "headteacher"):
        assert sees(cast, name, concern), name
        assert sees(cast, name, concern, "concerns.triage"), name
    assert not sees(cast, "leadership", concern, "concerns.triage")
    assert not sees(cast, "outsider", concern)


def test_allegation_is_seen_by_its_handler_only_never_its_subject(cast: Cast) -> None:
    subject = person_of(cast["teacher"])
    allegation = report(
        cast.school, by=person_of(cast["volunteer"]), category=Category.ALLEGATION, about=subject
    )
    assert allegation.handler == person_of(cast["headteacher"])
    assert sees(cast, "headteacher", allegation, "concerns.allegations")
    # The DSL is not on the case; the subject never sees it, not even as a report.
    assert not sees(cast, "dsl", allegation)
    assert not sees(cast, "teacher", allegation, "concerns.view_own")
    assert not sees(cast, "chair", allegation, "concerns.allegations")
    # Added to the case, the chair sees it.
    case_member_add(concern=allegation, person=person_of(cast["chair"]), actor=None)
    assert sees(cast, "chair", allegation, "concerns.allegations")
    # The reporter sees their own report (its status), not the case.
    assert sees(cast, "volunteer", allegation, "concerns.view_own")


def test_allegation_about_the_headteacher_goes_to_the_chair(cast: Cast) -> None:
    head = person_of(cast["headteacher"])
    allegation = report(
        cast.school, by=person_of(cast["teacher"]), category=Category.ALLEGATION, about=head
    )
    assert allegation.handler == person_of(cast["chair"])
    assert sees(cast, "chair", allegation, "concerns.allegations")
    assert not sees(cast, "headteacher", allegation, "concerns.allegations")
    assert not sees(cast, "headteacher", allegation)
    with pytest.raises(Http404):
        require(
            verified(cast["headteacher"]),
            "concerns.allegations",
            school=cast.school,
            obj=allegation,
        )
    # Even added to the case by mistake, the subject is refused and stays off.
    with pytest.raises(Exception, match="subject"):
        case_member_add(concern=allegation, person=head, actor=None)


def test_subject_of_an_ordinary_concern_cannot_open_it(cast: Cast) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]))
    involvement_add(
        concern=concern,
        part=Involvement.Part.SUBJECT,
        person=person_of(cast["deputy_dsl"]),
        actor=person_of(cast["dsl"]),
    )
    assert not sees(cast, "deputy_dsl", concern)
    assert sees(cast, "dsl", concern)


def test_declared_staff_are_kept_off_that_learners_cases(
    cast: Cast, learner_family: tuple[Person, Person]
) -> None:
    learner, parent = learner_family
    deputy = person_of(cast["deputy_dsl"])
    about_learner = report(cast.school, by=person_of(cast["teacher"]), affected=learner)
    about_parent = report(cast.school, by=person_of(cast["teacher"]), affected=parent)
    unrelated = report(cast.school, by=person_of(cast["teacher"]))
    declaration = declaration_create(
        staff=deputy, learner=learner, relationship="Family friend since before joining."
    )
    # Declared but not yet decided: the rule applies once the decision is recorded.
    assert sees(cast, "deputy_dsl", about_learner)
    declaration_decide(
        declaration=declaration,
        discussion="Discussed with the DSL and the headteacher.",
        decision="Keep off this family's cases; no contact on personal accounts.",
        advice="Use school systems only.",
        review_on=dt.date.today() + dt.timedelta(days=180),
        actor=person_of(cast["dsl"]),
    )
    assert not sees(cast, "deputy_dsl", about_learner)
    assert not sees(cast, "deputy_dsl", about_parent)
    assert sees(cast, "deputy_dsl", unrelated)
    assert sees(cast, "dsl", about_learner)
    member = membership_of(verified(cast["deputy_dsl"]), cast.school)
    assert member is not None
    assert set(visible_concerns(member)) == {unrelated}


def test_nobody_decides_on_their_own_declaration(cast: Cast) -> None:
    learner = Person.objects.create(
        school=cast.school, kind=Person.Kind.LEARNER, first_name="Ada", last_name="Example"
    )
    dsl = person_of(cast["dsl"])
    declaration = declaration_create(staff=dsl, learner=learner, relationship="Neighbour.")
    with pytest.raises(Exception, match="own declaration"):
        declaration_decide(
            declaration=declaration,
            discussion="x",
            decision="y",
            advice="",
            review_on=dt.date.today() + dt.timedelta(days=30),
            actor=dsl,
        )
    assert not can(
        verified(cast["dsl"]), "declarations.manage", school=cast.school, obj=declaration
    )
    assert can(
        verified(cast["headteacher"]), "declarations.manage", school=cast.school, obj=declaration
    )


def test_visible_concerns_agrees_with_the_rule(cast: Cast) -> None:
    head = person_of(cast["headteacher"])
    ordinary = report(cast.school, by=person_of(cast["teacher"]))
    about_head = report(
        cast.school, by=person_of(cast["teacher"]), category=Category.ALLEGATION, about=head
    )
    about_teacher = report(
        cast.school,
        by=person_of(cast["volunteer"]),
        category=Category.ALLEGATION,
        about=person_of(cast["teacher"]),
    )
    cases = [ordinary, about_head, about_teacher]
    for name in ("dsl", "headteacher", "chair", "leadership", "teacher"):
        member = membership_of(verified(cast[name]), cast.school)
        assert member is not None
        visible = set(visible_concerns(member))
        for case in cases:
            cap = "concerns.allegations" if case.is_allegation else "concerns.view_all"
            assert (case in visible) == can(cast[name], cap, school=cast.school, obj=case), (
                name,
                case.category,
            )
