"""The `safesocial` console script: Django's management commands under the project's name.

`safesocial load-demo` and `safesocial load_demo` both work: dashes read better in a shell.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safesocial.settings")
    from django.core.management import execute_from_command_line

    from safesocial.env import ImproperlySetError

    try:
        execute_from_command_line(args)
    except ImproperlySetError as error:
        sys.stderr.write(f"safesocial: setting problem: {error}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
