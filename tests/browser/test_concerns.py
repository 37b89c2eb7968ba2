"""The concerns pages in a real browser, each checked with axe-core (no serious or critical
violations): the public report form, staff reporting and declarations, and the DSL's
dashboard, case page, declarations and retention review behind the second factor."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from django_otp.oath import totp

from safesocial.concerns.models import Concern, Involvement
from safesocial.concerns.services import (
    Involved,
    chronology_add,
    concern_report,
    declaration_create,
    parent_communication_record,
)
from safesocial.people.models import Person, School
from tests.browser.conftest import assert_accessible, new_context
from tests.browser.test_pages import sign_in
from tests.conftest import TOTP_SECRET, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _quick_form(settings: Any) -> None:
    # The live server runs in this process and reads the same settings: no minimum fill time.
    settings.CONCERNS_FORM_MIN_SECONDS = 0


def fill_public_report(page: Any) -> None:
    page.get_by_label("What is it about?").select_option("bullying")
    page.get_by_label("What happened?").fill(
        "Someone in my class keeps posting edited photos of another pupil in a group chat."
    )
    page.get_by_label("Where did it happen? (optional)").fill("A group chat app")
    page.get_by_label("I want to stay anonymous").check()


def test_public_report_form_errors_and_reference(
    page: Any, live_server: Any, school: School
) -> None:
    page.goto(f"{live_server.url}/p/test/report/")
    assert page.get_by_role("heading", level=1).inner_text() == "Report a concern to Test School"
    assert_accessible(page)

    page.get_by_role("button", name="Send the report").click()
    alert = page.get_by_role("alert").inner_text()
    assert "There is a problem" in alert and "What happened?" in alert
    assert_accessible(page)
    assert Concern.objects.count() == 0

    fill_public_report(page)
    page.get_by_role("button", name="Send the report").click()
    assert page.get_by_role("heading", name="Report sent").is_visible()
    concern = Concern.objects.get()
    assert concern.reference in page.locator(".govuk-panel__body").inner_text()
    assert page.get_by_role("heading", name="What happens next").is_visible()
    assert concern.reporter_kind == Concern.ReporterKind.ANONYMOUS
    assert_accessible(page)


def test_public_report_form_works_without_javascript(
    browser: Any, live_server: Any, school: School
) -> None:
    context = new_context(browser, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/p/test/report/")
        fill_public_report(page)
        page.get_by_role("button", name="Send the report").click()
        assert page.get_by_role("heading", name="Report sent").is_visible()
        assert Concern.objects.get().reference in page.content()
    finally:
        context.close()


def test_teacher_reports_and_declares(page: Any, live_server: Any, cast: Cast) -> None:
    base = live_server.url
    sign_in(page, base, "teacher", check=False)
    page.wait_for_url(f"{base}/s/test/")
    page.get_by_role("link", name="Report a concern").first.click()
    page.wait_for_url(f"{base}/s/test/concerns/report/")
    assert_accessible(page)
    page.get_by_role("button", name="Send the report").click()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)

    page.goto(f"{base}/s/test/concerns/declarations/")
    assert page.get_by_role("heading", name="Declared relationships").is_visible()
    assert_accessible(page)


def _case_with_chronology(cast: Cast) -> Concern:
    teacher = Person.objects.get(user=cast["teacher"])
    dsl = Person.objects.get(user=cast["dsl"])
    learner = Person.objects.get(user=cast["learner"])
    concern = concern_report(
        school=cast.school,
        category="bullying",
        what="A pupil was left out of a class group chat and mocked in another one.",
        reporter_kind=Concern.ReporterKind.STAFF,
        reporter=teacher,
        involved=[Involved(Involvement.Part.AFFECTED, person=learner)],
    )
    now = timezone.now()
    chronology_add(
        concern=concern,
        happened_at=now - dt.timedelta(days=1),
        text="Spoke with the pupil; screenshots kept.",
        backdate_reason="Recorded the next morning.",
        actor=dsl,
    )
    chronology_add(concern=concern, happened_at=now, text="Spoke with the form tutor.", actor=dsl)
    parent_communication_record(
        concern=concern,
        informed=True,
        informed_at=now,
        method="phone",
        actor=dsl,
    )
    return concern


def test_dsl_pages_after_the_second_factor(page: Any, live_server: Any, cast: Cast) -> None:
    concern = _case_with_chronology(cast)
    # A declaration by someone who left long ago: due for retention review.
    left = Person.objects.create(
        school=cast.school,
        kind=Person.Kind.TEACHING_STAFF,
        first_name="Former",
        last_name="Colleague",
        leaving_date=dt.date(2015, 7, 31),
    )
    declaration_create(
        staff=left,
        learner=Person.objects.get(user=cast["learner"]),
        relationship="Neighbour of the family.",
    )
    base = live_server.url
    sign_in(page, base, "dsl", check=False)
    page.wait_for_url(f"{base}/s/test/")
    page.goto(f"{base}/s/test/concerns/dashboard/")
    page.wait_for_url(f"{base}/accounts/two-factor/**")
    code = totp(base64.b32decode(TOTP_SECRET), step=30, digits=6)
    page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/s/test/concerns/dashboard/")
    assert page.get_by_role("heading", name="Safeguarding dashboard").is_visible()
    assert page.get_by_role("link", name=f"case {concern.reference}").is_visible()
    assert_accessible(page)

    page.get_by_role("link", name=f"case {concern.reference}").click()
    page.wait_for_url(f"{base}/s/test/concerns/cases/{concern.pk}/")
    table = page.get_by_role("table").first.inner_text()
    assert "Spoke with the pupil" in table and "Spoke with the form tutor" in table
    assert_accessible(page)
    # An action refused field by field comes back on the same page, still accessible.
    page.get_by_text("Add an action").click()
    page.get_by_role("button", name="Add action").click()
    assert "There is a problem" in page.get_by_role("alert").first.inner_text()
    assert_accessible(page)

    page.goto(f"{base}/s/test/concerns/declarations/")
    assert page.get_by_role("heading", name="All declarations").is_visible()
    assert_accessible(page)

    page.goto(f"{base}/s/test/concerns/retention/")
    assert page.get_by_role("heading", name="Records due for retention review").is_visible()
    assert page.get_by_role("button", name="Record decision").count() == 1
    assert_accessible(page)
