"""The private-file store shared by concerns and channels: uploads checked for type and size,
stored names that cannot reach outside the directory, files written only on commit, missing
files, and downloads served with safe headers. Files go to the temporary directory of the
autouse `private_files` fixture."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from safesocial import private_files as storage
from safesocial.private_files import (
    FileTypes,
    PrivateFiles,
    check_upload,
    download_response,
    safe_filename,
    size_in_words,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 16
TYPES: FileTypes = {
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "txt": ("text/plain", ()),
}
WRONG_TYPE = "This type of file cannot be used. Use PNG or TXT."


def _check(upload: Any, max_bytes: int = 1024) -> Any:
    return check_upload(
        upload, field="upload", types=TYPES, max_bytes=max_bytes, wrong_type=WRONG_TYPE
    )


def _refusal(upload: Any, max_bytes: int = 1024) -> str:
    with pytest.raises(ValidationError) as error:
        _check(upload, max_bytes)
    return error.value.message_dict["upload"][0]


# --- checking an upload ---------------------------------------------------------------------


def test_an_accepted_upload_keeps_its_name_type_bytes_and_checksum() -> None:
    checked = _check(SimpleUploadedFile("../../photo.PNG", PNG))
    assert checked.original_name == "photo.PNG"  # no path from the client's side
    assert checked.content_type == "image/png"
    assert checked.data == PNG
    assert checked.sha256 == hashlib.sha256(PNG).hexdigest()
    assert _check(SimpleUploadedFile("note.txt", "café".encode())).content_type == "text/plain"


def test_uploads_are_refused_with_a_message_on_the_field() -> None:
    assert _refusal(SimpleUploadedFile("run.exe", b"MZ")) == WRONG_TYPE
    assert _refusal(SimpleUploadedFile("noextension", PNG)) == WRONG_TYPE
    assert _refusal(SimpleUploadedFile("photo.png", b"")) == "The file is empty."
    assert _refusal(SimpleUploadedFile("photo.png", b"%PDF-")) == (
        "The file's content is not a real .png file."
    )
    assert _refusal(SimpleUploadedFile("note.txt", b"\xff\xfe\x00")) == (
        "A .txt file must be plain text."
    )
    assert _refusal(SimpleUploadedFile("photo.png", PNG + b"0" * 2048)) == (
        "The file is too large: the limit is 1 KB."
    )


class _UnderstatedUpload:
    """A client that says its file is small and sends more."""

    name = "photo.png"
    size = 10

    def chunks(self) -> list[bytes]:
        return [PNG, b"0" * 600, b"0" * 600]


def test_the_size_limit_counts_the_bytes_not_the_stated_size() -> None:
    assert "too large" in _refusal(_UnderstatedUpload())


def test_size_in_words() -> None:
    assert size_in_words(10 * 1024 * 1024) == "10 MB"
    assert size_in_words(2 * 1024 * 1024 + 512 * 1024) == "2.5 MB"
    assert size_in_words(500 * 1024) == "500 KB"
    assert size_in_words(100) == "1 KB"


# --- stored names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../secret", "..", ".", "", "a/b", "/etc/passwd", "..\\x", "name.txt", "a\x00b", "é" * 4],
)
def test_a_stored_name_cannot_reach_outside_the_directory(name: str) -> None:
    store = PrivateFiles("app")
    with pytest.raises(ValueError):
        store.path_of(name)
    with pytest.raises(ValueError):
        store.read(name)
    with pytest.raises(ValueError):
        store.remove(name)
    with pytest.raises(ValueError):
        store.write(name, b"x")


def test_the_directory_follows_the_setting(private_files: Path) -> None:
    store = PrivateFiles("app")
    assert store.directory() == private_files / "app"
    assert store.path_of("ab12").parent == private_files / "app"


# --- writing on commit, reading, removing ---------------------------------------------------


@pytest.mark.django_db
def test_a_file_is_written_only_when_the_transaction_commits(
    private_files: Path, django_capture_on_commit_callbacks: Any
) -> None:
    store = PrivateFiles("app")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        name = store.store_on_commit(b"contents")
    assert len(name) == 32 and store.path_of(name).parent == private_files / "app"
    assert store.read(name) is None  # nothing on disk before the commit
    for callback in callbacks:
        callback()
    assert store.read(name) == b"contents"
    assert store.path_of(name).stat().st_mode & 0o777 == 0o600
    assert (private_files / "app").stat().st_mode & 0o777 == 0o700
    # Each file gets a name of its own.
    with django_capture_on_commit_callbacks(execute=True):
        assert store.store_on_commit(b"contents") != name


@pytest.mark.django_db
def test_a_rolled_back_transaction_writes_nothing(
    private_files: Path, django_capture_on_commit_callbacks: Any
) -> None:
    store = PrivateFiles("app")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        name = store.store_on_commit(b"contents")
        raise RuntimeError("the save failed")
    assert callbacks == []
    assert store.read(name) is None
    assert not any(path.is_file() for path in private_files.rglob("*"))


@pytest.mark.django_db
@pytest.mark.parametrize("free", [0, 1000 + storage.STORAGE_RESERVE_BYTES - 1])
def test_a_full_disk_refuses_the_file_before_anything_commits(
    private_files: Path,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    free: int,
) -> None:
    # Checked when the file is named, inside the caller's transaction: the save fails whole
    # with a message for the form, instead of a committed record whose file cannot be written.
    real = storage.shutil.disk_usage
    monkeypatch.setattr(storage.shutil, "disk_usage", lambda path: real(path)._replace(free=free))
    store = PrivateFiles("app")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError, match="storage is full"),
    ):
        store.store_on_commit(b"x" * 1000)
    assert callbacks == []
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        name = store.store_on_commit(b"x" * 1000)
    assert store.read(name) == b"x" * 1000


def test_a_stored_file_is_never_overwritten() -> None:
    store = PrivateFiles("app")
    store.write("ab12", b"first")
    with pytest.raises(FileExistsError):
        store.write("ab12", b"second")
    assert store.read("ab12") == b"first"


def test_missing_files_read_as_none_and_remove_quietly(private_files: Path) -> None:
    store = PrivateFiles("app")
    assert store.read("ab12") is None  # not even the directory yet
    store.remove("ab12")
    store.write("ab12", b"x")
    store.remove("ab12")
    assert store.read("ab12") is None
    store.remove("ab12")


# --- serving a download ---------------------------------------------------------------------


def test_a_download_is_an_attachment_that_is_not_sniffed_or_cached() -> None:
    response = download_response(b"%PDF-1.4", filename="form.pdf", content_type="application/pdf")
    assert response.content == b"%PDF-1.4"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="form.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ('../../etc/pass"wd', 'attachment; filename="passwd"'),
        ("a\r\nSet-Cookie: x=y.pdf", 'attachment; filename="aSet-Cookiexy.pdf"'),
        ("C:\\Users\\me\\form.pdf", 'attachment; filename="form.pdf"'),
        ("...hidden.pdf", 'attachment; filename="hidden.pdf"'),
        ("my form (signed).pdf", 'attachment; filename="myformsigned.pdf"'),
        ("Zoë.pdf", "attachment; filename*=utf-8''Zo%C3%AB.pdf"),
        ('"/\\', 'attachment; filename="consent"'),
    ],
)
def test_a_download_name_is_cleaned(filename: str, header: str) -> None:
    response = download_response(
        b"x", filename=filename, content_type="application/octet-stream", fallback="consent"
    )
    assert response["Content-Disposition"] == header


def test_safe_filename_keeps_an_ordinary_name() -> None:
    assert safe_filename("evidence-12.png") == "evidence-12.png"
    assert safe_filename("") == "file"
