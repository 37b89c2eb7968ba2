"""The one place that says who may do what.

Views and commands ask `access.require(user, "capability", school=..., obj=...)`; nothing else
checks role names. Names are loaded lazily so the app can be listed in INSTALLED_APPS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from safesocial.access.core import (
        Membership,
        NotAMember,
        TwoFactorRequired,
        can,
        membership,
        memberships,
        register_object_rule,
        require,
    )

__all__ = [
    "Membership",
    "NotAMember",
    "TwoFactorRequired",
    "can",
    "membership",
    "memberships",
    "register_object_rule",
    "require",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from safesocial.access import core

        return getattr(core, name)
    raise AttributeError(name)
