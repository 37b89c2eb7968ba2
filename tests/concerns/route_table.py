"""Rows of the route-by-role table (tests/access/test_routes.py) for the concerns app."""

from typing import Any

from tests.access.route_helpers import PUBLIC, only

CASE_HANDLERS = {"headteacher", "dsl", "deputy_dsl", "leadership", "chair"}
REPORTERS = {
    "teacher",
    "volunteer",
    "headteacher",
    "dsl",
    "deputy_dsl",
    "leadership",
    "network_manager",
    "channel_manager",
    "office",
    "learner",
    "parent",
}
STAFF = REPORTERS - {"learner", "parent"}


def _concern(cast: Any) -> int:
    from safesocial.concerns.categories import Category
    from safesocial.concerns.services import concern_report
    from safesocial.people.models import Person

    reporter = Person.objects.get(user=cast["teacher"])
    return concern_report(
        school=cast.school,
        category=Category.BULLYING,
        what="Route table concern.",
        reporter_kind="staff",
        reporter=reporter,
    ).pk


def _evidence(cast: Any) -> dict[str, int]:
    """A case with one evidence file. Both kwargs of the evidence route must name the same
    record, so the second call finds the one the first made (in this test's database). The
    file is written when the record commits, which a test's transaction never does: the
    commit callbacks are run here."""
    from django.test import TestCase

    from safesocial.concerns import files
    from safesocial.concerns.models import Concern, Evidence
    from safesocial.concerns.services import evidence_add
    from safesocial.people.models import Person

    item = Evidence.objects.filter(school=cast.school, original_name=EVIDENCE_NAME).first()
    if item is None:
        concern = Concern.objects.get(pk=_concern(cast))
        with TestCase.captureOnCommitCallbacks(execute=True):
            item = evidence_add(
                concern=concern,
                checked=files.CheckedFile(EVIDENCE_NAME, "text/plain", b"evidence", "0" * 64),
                actor=Person.objects.get(user=cast["dsl"]),
            )
    return {"pk": item.concern_id, "evidence": item.pk}


EVIDENCE_NAME = "route-table-note.txt"


def _ev(key: str) -> Any:
    return lambda cast: _evidence(cast)[key]


def _learner(cast: Any) -> int:
    from safesocial.people.models import Person

    return Person.objects.get(user=cast["learner"]).pk


def _declaration(cast: Any) -> int:
    from safesocial.concerns.services import declaration_create
    from safesocial.people.models import Person

    return declaration_create(
        staff=Person.objects.get(user=cast["teacher"]),
        learner=Person.objects.get(user=cast["learner"]),
        relationship="Route table declaration.",
    ).pk


# A chair may open case pages (for allegations), but an ordinary concern is not theirs: 404.
CASE_VIEW = {**only(CASE_HANDLERS), "chair": 404}
CASE_WRITE = {
    **only(CASE_HANDLERS, success="redirect"),
    "chair": 404,
    "leadership": 403,
}

ROUTES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "concerns_public:report": ("GET", {"school": "test"}, PUBLIC),
    "concerns:mine": ("GET", {"school": "test"}, only(REPORTERS, two_factor=False)),
    "concerns:report": ("GET", {"school": "test"}, only(REPORTERS, two_factor=False)),
    "concerns:cases": ("GET", {"school": "test"}, only(CASE_HANDLERS)),
    "concerns:case": ("GET", {"school": "test", "pk": _concern}, CASE_VIEW),
    "concerns:case_action": (
        "POST",
        {"school": "test", "pk": _concern, "action": "decision"},
        {**CASE_WRITE, **{r: 400 for r in ("headteacher", "dsl", "deputy_dsl")}},
    ),
    "concerns:evidence": (
        "GET",
        {"school": "test", "pk": _ev("pk"), "evidence": _ev("evidence")},
        CASE_VIEW,
    ),
    "concerns:summary_pdf": ("GET", {"school": "test", "pk": _concern}, CASE_VIEW),
    "concerns:learner_chronology": (
        "GET",
        {"school": "test", "person": _learner},
        only({"headteacher", "dsl", "deputy_dsl", "leadership"}),
    ),
    "concerns:dashboard": ("GET", {"school": "test"}, only({"headteacher", "dsl", "deputy_dsl"})),
    "concerns:declarations": ("GET", {"school": "test"}, only(STAFF, two_factor=False)),
    "concerns:declaration": (
        "GET",
        {"school": "test", "pk": _declaration},
        only({"headteacher", "dsl", "deputy_dsl"}),
    ),
    "concerns:retention": ("GET", {"school": "test"}, only({"dsl"})),
}
