"""Uploaded files kept outside the web root, under settings.PRIVATE_FILES_DIR.

The one place that checks an upload's type and size, names stored files (once the disk is
known to have room for them), writes them once the database change that names them commits,
reads and removes them, and serves them as downloads.
Each app keeps only what is its own (the types it accepts, its size limit, its subdirectory):
concerns/files.py for safeguarding evidence, channels/files.py for post images and consent
forms.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils.http import content_disposition_header

# (content type, the bytes a real file of that type starts with); a type with no starting
# bytes is plain text and must decode as UTF-8. Each app maps the extensions it accepts to these.
FileType = tuple[str, tuple[bytes, ...]]
FileTypes = Mapping[str, FileType]
PDF: FileType = ("application/pdf", (b"%PDF-",))
PNG: FileType = ("image/png", (b"\x89PNG\r\n\x1a\n",))
JPEG: FileType = ("image/jpeg", (b"\xff\xd8\xff",))
GIF: FileType = ("image/gif", (b"GIF87a", b"GIF89a"))
TEXT: FileType = ("text/plain", ())

# The names this module makes are hex; letters and digits only means a name read back from the
# database can never hold a separator or "..", so it cannot reach outside the directory.
_STORED_NAME = re.compile(r"[0-9A-Za-z]{1,64}")
_UNSAFE_IN_FILENAME = re.compile(r"[^\w.-]")

# Room left free on the disk beyond the file itself: the database and the logs share it.
STORAGE_RESERVE_BYTES = 64 * 1024 * 1024
STORAGE_UNAVAILABLE = (
    "The file could not be kept: the server's file storage is full or cannot be written to."
    " Nothing was saved. Try again later, and tell the network manager if it happens again."
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    content_type: str
    data: bytes
    sha256: str


def size_in_words(limit: int) -> str:
    """A size limit as people read it: "10 MB", "2.5 MB", "500 KB"."""
    megabytes = limit / (1024 * 1024)
    if megabytes >= 1:
        return f"{megabytes:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, limit // 1024)} KB"


def check_upload(
    upload: Any, *, field: str, types: FileTypes, max_bytes: int, wrong_type: str
) -> CheckedFile:
    """The upload's name, type and bytes, or a ValidationError on `field`: a type not in
    `types` (with the app's own `wrong_type` message), too large, empty, or content that is not
    what its extension says."""
    name = Path(str(getattr(upload, "name", "") or "file")).name[:200]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in types:
        raise ValidationError({field: wrong_type})
    too_large = ValidationError(
        {field: f"The file is too large: the limit is {size_in_words(max_bytes)}."}
    )
    if upload.size is not None and upload.size > max_bytes:
        raise too_large
    # The stated size is the client's word; count the bytes too, and stop reading once over.
    chunks: list[bytes] = []
    read = 0
    for chunk in upload.chunks():
        read += len(chunk)
        if read > max_bytes:
            raise too_large
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise ValidationError({field: "The file is empty."})
    content_type, signatures = types[extension]
    if signatures and not any(data.startswith(sig) for sig in signatures):
        raise ValidationError({field: f"The file's content is not a real .{extension} file."})
    if not signatures:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError({field: f"A .{extension} file must be plain text."}) from None
    return CheckedFile(name, content_type, data, hashlib.sha256(data).hexdigest())


class PrivateFiles:
    """One app's subdirectory of PRIVATE_FILES_DIR.

    The directory is looked up on each use, not at import, so that a changed setting (the tests'
    temporary directory) is followed."""

    def __init__(self, subdirectory: str) -> None:
        self.subdirectory = subdirectory

    def directory(self) -> Path:
        return Path(settings.PRIVATE_FILES_DIR) / self.subdirectory

    def path_of(self, stored_name: str) -> Path:
        if not _STORED_NAME.fullmatch(stored_name):
            raise ValueError("not a stored file name")
        return self.directory() / stored_name

    def store_on_commit(self, data: bytes) -> str:
        """Name the file now and write it once the caller's transaction commits, so that a save
        that fails or rolls back leaves no orphan file behind (and no personal data on disk).

        The directory is made and checked first: writable, with room for the file and
        STORAGE_RESERVE_BYTES more, else a ValidationError and the caller's save fails whole,
        rather than a record committed whose file cannot then be written."""
        self._check_room(len(data))
        stored_name = secrets.token_hex(16)
        transaction.on_commit(partial(self.write, stored_name, data))
        return stored_name

    def _check_room(self, size: int) -> None:
        directory = self.directory()
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            free = shutil.disk_usage(directory).free
            writable = os.access(directory, os.W_OK | os.X_OK)
        except OSError as exc:
            logger.error("private files: %s unusable (%s)", self.subdirectory, exc.strerror)
            raise ValidationError(STORAGE_UNAVAILABLE) from None
        if not writable or free < size + STORAGE_RESERVE_BYTES:
            logger.error(
                "private files: %s not written (writable %s, %d bytes free, %d needed)",
                self.subdirectory,
                writable,
                free,
                size + STORAGE_RESERVE_BYTES,
            )
            raise ValidationError(STORAGE_UNAVAILABLE)

    def write(self, stored_name: str, data: bytes) -> None:
        path = self.path_of(stored_name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Created readable by the server's user alone, and never over an existing file.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        except BaseException:
            path.unlink(missing_ok=True)  # no half-written file left to be served
            raise

    def read(self, stored_name: str) -> bytes | None:
        """The file's bytes, or None if it is not there."""
        try:
            return self.path_of(stored_name).read_bytes()
        except FileNotFoundError:
            return None

    def remove(self, stored_name: str) -> None:
        self.path_of(stored_name).unlink(missing_ok=True)


def safe_filename(name: str, *, fallback: str = "file") -> str:
    """`name` with only letters, digits, dots, dashes and underscores, for a download's name:
    no path, quote or line break can reach the header or the user's disk."""
    cleaned = _UNSAFE_IN_FILENAME.sub("", Path(name.replace("\\", "/")).name).lstrip(".")
    return cleaned[:200] or fallback


def download_response(
    data: bytes, *, filename: str, content_type: str, fallback: str = "file"
) -> HttpResponse:
    """Serve a private file as a download: never shown in the page, never sniffed as another
    type, never kept in a cache. `filename` is cleaned here (`fallback` if nothing is left)."""
    response = HttpResponse(data, content_type=content_type)
    # Django gives a plain quoted name, or RFC 6266's filename* for a name beyond ASCII.
    disposition = content_disposition_header(True, safe_filename(filename, fallback=fallback))
    response["Content-Disposition"] = disposition or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
