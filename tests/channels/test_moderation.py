"""Comments and messages on official channels involving learners are logged for moderation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from safesocial.channels import services
from safesocial.channels.models import ModerationItem
from safesocial.people.models import Person
from tests.channels.factories import ready
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_log_a_comment_involving_a_learner(cast: Cast, other_school: object) -> None:
    setup = ready(cast)
    item = services.moderation_log(
        channel=setup.channel,
        actor=setup.author,
        kind=ModerationItem.Kind.COMMENT,
        received_on=timezone.localdate(),
        summary="An unkind comment naming a pupil under the sports day post.",
        action=ModerationItem.Action.HIDDEN,
        learners=[setup.learner],
    )
    assert list(item.learners.all()) == [setup.learner]
    stranger = Person.objects.create(
        school=other_school,
        kind=Person.Kind.LEARNER,
        first_name="A",
        last_name="B",  # type: ignore[misc]
    )
    with pytest.raises(ValidationError) as error:
        services.moderation_log(
            channel=setup.channel,
            actor=setup.author,
            kind=ModerationItem.Kind.MESSAGE,
            received_on=timezone.localdate() + dt.timedelta(days=1),
            summary="x",
            action=ModerationItem.Action.NONE,
            learners=[stranger],
        )
    assert "learners" in error.value.message_dict
    assert ModerationItem.objects.count() == 1
