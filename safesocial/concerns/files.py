"""Evidence files: checked for type and size, stored outside the web root under random names."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

# Extension -> (content type, the bytes the file must start with).
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "txt": ("text/plain", ()),
}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "CONCERNS_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def allowed_description() -> str:
    return "PDF, PNG, JPEG, GIF or plain text"


def limit_description(limit: int | None = None) -> str:
    """The size limit in words ("10 MB", "2.5 MB", "500 KB"), from the setting unless given."""
    limit = max_bytes() if limit is None else limit
    megabytes = limit / (1024 * 1024)
    if megabytes >= 1:
        return f"{megabytes:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, limit // 1024)} KB"


def help_text() -> str:
    # Read when a form is made, not at import, so the text follows the setting.
    return f"{allowed_description()}, up to {limit_description()}."


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    content_type: str
    data: bytes
    sha256: str


def check_upload(upload: Any, *, field: str = "attachment") -> CheckedFile:
    """Refuse an oversize or disallowed file with a message naming the field."""
    limit = max_bytes()
    name = Path(str(getattr(upload, "name", "") or "file")).name[:200]
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            {field: f"The file is too large: the limit is {limit_description(limit)}."}
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise ValidationError(
            {field: f"This type of file cannot be attached. Use {allowed_description()}."}
        )
    data = b"".join(upload.chunks())
    if len(data) > limit:
        raise ValidationError(
            {field: f"The file is too large: the limit is {limit_description(limit)}."}
        )
    if not data:
        raise ValidationError({field: "The file is empty."})
    content_type, signatures = ALLOWED[extension]
    if signatures and not any(data.startswith(sig) for sig in signatures):
        raise ValidationError({field: f"The file's content is not a real .{extension} file."})
    if not signatures:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError({field: "A .txt file must be plain text."}) from None
    return CheckedFile(name, content_type, data, hashlib.sha256(data).hexdigest())


def evidence_dir() -> Path:
    directory = Path(settings.PRIVATE_FILES_DIR) / "concerns"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


def store(checked: CheckedFile) -> str:
    stored_name = secrets.token_hex(16)
    path = evidence_dir() / stored_name
    with open(path, "xb") as handle:
        handle.write(checked.data)
    path.chmod(0o600)
    return stored_name


def path_of(stored_name: str) -> Path:
    return evidence_dir() / stored_name


def remove(stored_name: str) -> None:
    path_of(stored_name).unlink(missing_ok=True)
