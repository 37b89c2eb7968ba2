"""Accepting a policy on its page: an unticked box is an error on the same page, beside the box
and in the summary that links to it; a refusal from the service is shown there too."""

from __future__ import annotations

import re

import pytest

from safesocial.audit.models import AuditEntry
from safesocial.people.models import Person
from safesocial.policies.models import Acknowledgement, PolicyKind
from tests.conftest import Cast
from tests.policies.factories import approved_policy
from tests.policies.test_views import client_for

pytestmark = pytest.mark.django_db
MESSAGE = "Tick the box to say you have read and accept the policy."


def test_an_unticked_box_is_an_error_on_the_policy_page(cast: Cast) -> None:
    aup = approved_policy(cast.school, PolicyKind.ACCEPTABLE_USE)
    assert aup.current_version is not None
    client = client_for(cast, "teacher")
    url = f"/s/test/policies/{aup.pk}/acknowledge/"
    response = client.post(url, {"version": aup.current_version.pk})
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: " in page
    assert aup.title in page and "Read and accept version 1" in page  # the same page
    # The summary links to the box; the box is described by its own error message.
    assert f'<a href="#id_confirm">{MESSAGE}</a>' in page
    assert re.search(r'<p class="govuk-error-message" id="id_confirm-error">', page)
    box = re.search(r"<input[^>]*id=\"id_confirm\"[^>]*>", page)
    assert box is not None and 'aria-describedby="id_confirm-error"' in box.group(0)
    assert "govuk-form-group--error" in page
    assert not Acknowledgement.objects.exists()
    assert not AuditEntry.objects.filter(action="policies.acknowledged").exists()


def test_ticking_the_box_records_the_acceptance(cast: Cast) -> None:
    aup = approved_policy(cast.school, PolicyKind.ACCEPTABLE_USE)
    assert aup.current_version is not None
    client = client_for(cast, "teacher")
    page = client.get(f"/s/test/policies/{aup.pk}/").content.decode()
    assert "Error:" not in page and "id_confirm-error" not in page
    response = client.post(
        f"/s/test/policies/{aup.pk}/acknowledge/",
        {"version": aup.current_version.pk, "confirm": "on"},
    )
    assert response.status_code == 302
    teacher = Person.objects.get(user=cast["teacher"])
    assert Acknowledgement.objects.filter(person=teacher).count() == 1
    assert AuditEntry.objects.filter(action="policies.acknowledged").count() == 1


def test_a_version_of_another_policy_is_an_error_on_the_page(cast: Cast) -> None:
    aup = approved_policy(cast.school, PolicyKind.ACCEPTABLE_USE)
    other = approved_policy(cast.school, PolicyKind.SOCIAL_MEDIA)
    assert other.current_version is not None
    response = client_for(cast, "teacher").post(
        f"/s/test/policies/{aup.pk}/acknowledge/",
        {"version": other.current_version.pk, "confirm": "on"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "That version of the policy does not exist." in page and "There is a problem" in page
    assert not Acknowledgement.objects.exists()
