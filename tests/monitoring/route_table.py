"""Rows of the route-by-role table (tests/access/test_routes.py) for the monitoring app.

No monitoring database exists in the route test, so the pages show their empty state.
"""

from typing import Any

from tests.access.route_helpers import only

READERS = {"headteacher", "dsl", "deputy_dsl", "leadership", "network_manager"}

ROUTES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "monitoring:report": ("GET", {"school": "test"}, only(READERS)),
    "monitoring:export": ("GET", {"school": "test", "table": "by_service"}, only(READERS)),
    "monitoring:evaluation": ("GET", {"school": "test"}, only(READERS)),
    # An empty form: no finding named, refused with the page and its errors.
    "monitoring:finding_act": (
        "POST",
        {"school": "test"},
        only({"headteacher", "dsl"}, success=400),
    ),
    "monitoring:alerts": ("GET", {"school": "test"}, only(READERS)),
}
