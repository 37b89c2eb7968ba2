"""Who can open an allegation case: its handler and the people added to it, and only people who
handle allegations against staff can be added (need to know); anyone else is a clear refusal
naming who can be, never an addition that silently gives nothing."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from safesocial.access import can
from safesocial.audit.models import AuditEntry
from safesocial.concerns.categories import Category
from safesocial.concerns.models import CaseMember, Concern
from safesocial.concerns.selectors import allegation_case_candidates
from safesocial.concerns.services import case_member_add
from tests.concerns.conftest import person_of, report, verified
from tests.concerns.test_case import _signed_in
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _allegation(cast: Cast) -> Concern:
    return report(
        cast.school,
        by=person_of(cast["volunteer"]),
        category=Category.ALLEGATION,
        about=person_of(cast["teacher"]),
    )


def test_only_those_who_handle_allegations_can_be_added(cast: Cast) -> None:
    concern = _allegation(cast)
    head, chair = person_of(cast["headteacher"]), person_of(cast["chair"])
    assert concern.handler == head
    assert allegation_case_candidates(concern) == [chair]
    with pytest.raises(ValidationError) as refused:
        case_member_add(concern=concern, person=person_of(cast["dsl"]), actor=head)
    message = refused.value.message_dict["person"][0]
    assert "cannot open allegation cases" in message and chair.full_name in message
    assert not CaseMember.objects.exists()
    assert not can(verified(cast["dsl"]), "concerns.allegations", school=cast.school, obj=concern)
    case_member_add(concern=concern, person=chair, actor=head)
    assert can(verified(cast["chair"]), "concerns.allegations", school=cast.school, obj=concern)
    entry = AuditEntry.objects.get(action="concern.case_member_added")
    assert entry.actor_id == cast["headteacher"].pk
    assert allegation_case_candidates(concern) == []


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("teacher", "subject of a case"),  # the allegation is about them
        ("headteacher", "can already open"),  # the handler
        ("learner", "cannot open allegation cases"),
    ],
)
def test_refusals(cast: Cast, who: str, message: str) -> None:
    concern = _allegation(cast)
    with pytest.raises(ValidationError, match=message):
        case_member_add(
            concern=concern, person=person_of(cast[who]), actor=person_of(cast["headteacher"])
        )


def test_an_ordinary_case_has_no_list_of_its_own(cast: Cast) -> None:
    concern = report(cast.school, by=person_of(cast["teacher"]))
    with pytest.raises(ValidationError, match="Only an allegation case"):
        case_member_add(
            concern=concern, person=person_of(cast["chair"]), actor=person_of(cast["dsl"])
        )


def test_the_case_page_shows_who_can_be_added_and_the_error_by_the_field(cast: Cast) -> None:
    concern = _allegation(cast)
    head = _signed_in(cast["headteacher"])
    url = f"/s/test/concerns/cases/{concern.pk}/"
    page = head.get(url).content.decode()
    assert "Who can open this case" in page and "You can add: Chair Tester." in page
    dsl = person_of(cast["dsl"])
    response = head.post(f"{url}do/team/", {"team-person": dsl.pk})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'href="#id_team-person"' in body and "cannot open allegation cases" in body
    # The error is the select's description, so a screen reader reads it with the field.
    select = re.search(r"<select[^>]*>", body)
    assert select is not None and "id_team-person_error" in select.group(0)
    assert 'id="id_team-person_error"' in body
    assert _signed_in(cast["dsl"]).get(url).status_code == 404
    chair = person_of(cast["chair"])
    assert head.post(f"{url}do/team/", {"team-person": chair.pk}).status_code == 302
    assert _signed_in(cast["chair"]).get(url).status_code == 200
