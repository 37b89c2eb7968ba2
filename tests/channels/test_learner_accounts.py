"""School-created learner accounts are checked against the service's minimum age (clause 6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from safesocial.audit.models import AuditEntry
from safesocial.channels import services
from safesocial.channels.models import LearnerAccount
from tests.channels.factories import person
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_under_age_creation_is_refused_with_the_reason(cast: Cast) -> None:
    learner = person(cast, "learner")
    learner.date_of_birth = dt.date(2014, 9, 1)
    learner.save()
    with pytest.raises(ValidationError) as error:
        services.learner_account_register(
            learner=learner,
            service_id="youtube",
            purpose="Class channel",
            created_on=dt.date(2027, 8, 31),
            actor=person(cast, "network_manager"),
        )
    message = error.value.message_dict["learner"][0]
    assert "is 12" in message and "13 or over" in message
    assert not LearnerAccount.objects.exists()
    account = services.learner_account_register(
        learner=learner,
        service_id="youtube",
        purpose="Class channel",
        created_on=dt.date(2027, 9, 1),
        actor=person(cast, "network_manager"),
    )
    assert account.age_on_creation == 13 and account.minimum_age == 13
    assert AuditEntry.objects.filter(action="channels.learner_account_registered").exists()


def test_no_date_of_birth_or_unknown_service_is_refused(cast: Cast) -> None:
    learner = person(cast, "learner")
    actor = person(cast, "dsl")
    with pytest.raises(ValidationError, match="no date of birth"):
        services.learner_account_register(
            learner=learner,
            service_id="youtube",
            purpose="x",
            created_on=dt.date(2026, 1, 1),
            actor=actor,
        )
    with pytest.raises(ValidationError) as error:
        services.learner_account_register(
            learner=learner,
            service_id="nope",
            purpose="x",
            created_on=dt.date(2026, 1, 1),
            actor=actor,
        )
    assert "service_id" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.learner_account_register(
            learner=person(cast, "teacher"),
            service_id="youtube",
            purpose="x",
            created_on=dt.date(2026, 1, 1),
            actor=actor,
        )
    assert "learner" in error.value.message_dict
