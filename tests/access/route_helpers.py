"""Names and shorthands for the route-by-role table; each app's tests/<app>/route_table.py
uses them to state its rows."""

from __future__ import annotations

from typing import Any

ROLES = [
    "anonymous",
    "teacher",
    "volunteer",
    "headteacher",
    "headteacher_no_2fa",
    "dsl",
    "dsl_no_2fa",
    "deputy_dsl",
    "leadership",
    "chair",
    "trustee",
    "network_manager",
    "channel_manager",
    "office",
    "learner",
    "parent",
    "outsider",
]
STAFF_AREA_MEMBERS = {r: "ok" for r in ROLES if r not in {"anonymous", "outsider"}}

# Groups used in the table to keep rows short.
EVERY_MEMBER = {"anonymous": "login", "outsider": 404, **STAFF_AREA_MEMBERS}


def only(allowed: set[str], *, two_factor: bool = True, success: Any = "ok") -> dict[str, Any]:
    """`allowed` roles get in; others 403; strangers 404; anonymous to sign-in."""
    outcome: dict[str, Any] = {"anonymous": "login", "outsider": 404}
    for role in ROLES:
        if role in outcome:
            continue
        base = role.removesuffix("_no_2fa")
        if base in allowed:
            outcome[role] = "2fa" if role.endswith("_no_2fa") and two_factor else success
        else:
            outcome[role] = 403
    return outcome


PUBLIC = dict.fromkeys(ROLES, "ok")
