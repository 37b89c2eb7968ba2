"""Images for posts and consent evidence: checked, stored outside the web root (PRIVATE_FILES_DIR)
under random names."""

from __future__ import annotations

import secrets
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

MAX_BYTES = 10 * 1024 * 1024
IMAGE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}
EVIDENCE_TYPES = {**IMAGE_TYPES, "pdf": ("application/pdf", (b"%PDF-",))}


def check(
    upload: Any, *, field: str, types: dict[str, tuple[str, tuple[bytes, ...]]]
) -> tuple[str, str, bytes]:
    """(original name, content type, bytes), or a ValidationError naming the field."""
    name = Path(str(getattr(upload, "name", "") or "file")).name[:200]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in types:
        allowed = ", ".join(sorted(e.upper() for e in types))
        raise ValidationError({field: f"This type of file cannot be used. Use {allowed}."})
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError({field: "The file is too large: the limit is 10 MB."})
    data = b"".join(upload.chunks())
    if not data:
        raise ValidationError({field: "The file is empty."})
    content_type, signatures = types[extension]
    if not any(data.startswith(sig) for sig in signatures):
        raise ValidationError({field: f"The file's content is not a real .{extension} file."})
    return name, content_type, data


def directory() -> Path:
    path = Path(settings.PRIVATE_FILES_DIR) / "channels"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write(stored_name: str, data: bytes) -> None:
    path = path_of(stored_name)
    with open(path, "xb") as handle:
        handle.write(data)
    path.chmod(0o600)


def store_on_commit(data: bytes) -> str:
    """Name the file now and write it once the caller's transaction commits, so that a save
    that fails or rolls back leaves no orphan file behind (and no personal image on disk)."""
    stored_name = secrets.token_hex(16)
    transaction.on_commit(partial(write, stored_name, data))
    return stored_name


def path_of(stored_name: str) -> Path:
    if not stored_name.isalnum():
        raise ValueError("bad stored name")
    return directory() / stored_name
