"""Images for posts and consent forms: what channels accept and where they are kept
(PRIVATE_FILES_DIR/channels/). Checking, storing and serving are in safesocial/private_files.py.
"""

from __future__ import annotations

from typing import Any

from safesocial.private_files import (
    JPEG,
    PDF,
    PNG,
    CheckedFile,
    FileTypes,
    PrivateFiles,
    check_upload,
)

MAX_BYTES = 10 * 1024 * 1024
IMAGE_TYPES: FileTypes = {"png": PNG, "jpg": JPEG, "jpeg": JPEG}
EVIDENCE_TYPES: FileTypes = {**IMAGE_TYPES, "pdf": PDF}
STORE = PrivateFiles("channels")

store_on_commit = STORE.store_on_commit
path_of = STORE.path_of  # public_views.news_image opens the file by its path
read = STORE.read


def check(upload: Any, *, field: str, types: FileTypes) -> CheckedFile:
    """The checked upload, or a ValidationError naming the field."""
    allowed = ", ".join(sorted(extension.upper() for extension in types))
    return check_upload(
        upload,
        field=field,
        types=types,
        max_bytes=MAX_BYTES,
        wrong_type=f"This type of file cannot be used. Use {allowed}.",
    )
