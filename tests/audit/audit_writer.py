"""A separate OS process that writes audited changes, for the concurrency and crash tests.

Run as a script with DJANGO_SETTINGS_MODULE and DATABASE_URL in the environment:

    python tests/audit/audit_writer.py NAME COUNT BATCH GO_FILE

It makes (or finds) the user NAME, prints "ready", waits until GO_FILE exists, then makes COUNT
audited changes (each `sessions_end`, a real service that writes its audit entry in the same
transaction), BATCH of them per transaction; COUNT 0 means "until killed". At the end it prints
"done <start> <first commit> <end>" (time.time(), to compare with the other writer).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    name, count, batch, go_file = argv[0], int(argv[1]), int(argv[2]), Path(argv[3])
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import transaction

    from safesocial.access.services import sessions_end

    user, _ = User.objects.get_or_create(username=name)
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while not go_file.exists():
        if time.monotonic() > deadline:
            print("no go signal", flush=True)
            return 3
        time.sleep(0.002)
    started = time.time()
    first = 0.0
    done = 0
    while count == 0 or done < count:
        with transaction.atomic():
            for _ in range(batch):
                sessions_end(user=user, actor=None, school=None)
        done += batch
        if not first:
            first = time.time()
    print(f"done {started} {first} {time.time()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
