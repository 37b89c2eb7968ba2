"""Evidence files: what concerns accept (types, size setting) and where they are kept
(PRIVATE_FILES_DIR/concerns/). Checking, storing and serving are in safesocial/private_files.py.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from safesocial import private_files
from safesocial.private_files import (
    GIF,
    JPEG,
    PDF,
    PNG,
    TEXT,
    CheckedFile,
    FileTypes,
    PrivateFiles,
    size_in_words,
)

ALLOWED: FileTypes = {"pdf": PDF, "png": PNG, "jpg": JPEG, "jpeg": JPEG, "gif": GIF, "txt": TEXT}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE = PrivateFiles("concerns")

path_of = EVIDENCE.path_of
read = EVIDENCE.read
remove = EVIDENCE.remove


def max_bytes() -> int:
    return int(getattr(settings, "CONCERNS_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def allowed_description() -> str:
    return "PDF, PNG, JPEG, GIF or plain text"


def limit_description(limit: int | None = None) -> str:
    """The size limit in words ("10 MB", "2.5 MB", "500 KB"), from the setting unless given."""
    return size_in_words(max_bytes() if limit is None else limit)


def help_text() -> str:
    # Read when a form is made, not at import, so the text follows the setting.
    return f"{allowed_description()}, up to {limit_description()}."


def check_upload(upload: Any, *, field: str = "attachment") -> CheckedFile:
    """Refuse an oversize or disallowed file with a message naming the field."""
    return private_files.check_upload(
        upload,
        field=field,
        types=ALLOWED,
        max_bytes=max_bytes(),
        wrong_type=f"This type of file cannot be attached. Use {allowed_description()}.",
    )


def store_on_commit(checked: CheckedFile) -> str:
    """The stored name for the evidence record; the file is written when its transaction
    commits, so a save that fails or rolls back leaves no file (see private_files)."""
    return EVIDENCE.store_on_commit(checked.data)
