"""Typed readers for settings taken from environment variables.

Each helper fails loudly with the variable's name, so a mistyped deployment stops at start-up
instead of running with a silent default. Secrets may come from a file named by NAME_FILE.
"""

from __future__ import annotations

import os
from pathlib import Path


class ImproperlySetError(RuntimeError):
    """A setting in the environment is missing or has the wrong shape."""


def env_str(name: str, default: str | None = None) -> str:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlySetError(f"{name}_FILE: cannot read {file_name}: {error}") from error
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlySetError(f"{name} must be set")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlySetError(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ImproperlySetError(f"{name} must be a whole number, not {value!r}") from error


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]
