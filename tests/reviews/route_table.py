"""Rows of the route-by-role table (tests/access/test_routes.py) for the reviews app."""

from typing import Any

ROUTES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
