"""Rows of the route-by-role table (tests/access/test_routes.py) for the reviews app."""

from typing import Any

from tests.access.route_helpers import only

READERS = {"headteacher", "dsl", "deputy_dsl", "leadership", "chair", "trustee"}

ROUTES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "reviews:map": ("GET", {"school": "test"}, only(READERS)),
    "reviews:pack": ("GET", {"school": "test"}, only(READERS)),
    "reviews:pack_pdf": ("GET", {"school": "test"}, only(READERS)),
    "reviews:trust": ("GET", {"school": "test"}, only({"headteacher", "chair"})),
}
