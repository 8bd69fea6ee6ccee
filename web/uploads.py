"""Uploaded files, checked before anything keeps them: size, extension, and content that agrees
with the extension (magic bytes, an Office file's parts, a clean text decode); then written under
a random name in DUBAN_UPLOAD_DIR. Case evidence (web.tasks.evidence) and publicity photos
(web.publicity) both store their files through `save_checked_file`."""
import hashlib
import os
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

MAX_FILE_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024

OOXML = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
# extension -> the content type we serve it with
ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain; charset=utf-8",
}
# Photos only (publicity activities): what a phone's camera gives.
IMAGE_TYPES = {extension: ALLOWED_TYPES[extension] for extension in ("jpg", "jpeg", "png")}
SERVED_TYPES = set(ALLOWED_TYPES.values()) | {"text/plain; charset=gb18030"}
# Phones' file pickers offer the photo library and camera only for MIME types, not extensions.
PHONE_PICKER_TYPES = ("image/jpeg", "image/png", "application/pdf")


class UploadRejected(Exception):
    """The file was not kept; the message is for the user."""


@dataclass(frozen=True)
class StoredFile:
    filename: str        # as uploaded, cleaned (display only)
    storage_name: str    # random, on disk
    content_type: str
    size: int
    sha256: str


def upload_dir() -> Path:
    path = Path(current_app.config["DUBAN_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_filename(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name[-200:] or "file"


def sniff(extension: str, path: Path) -> str | None:
    """The content type to serve the file with if its magic bytes (for Office files, the
    zip's parts; for text, a clean decode) agree with the extension; None if they do not."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if extension == "pdf":
        ok = head.startswith(b"%PDF-")
    elif extension in ("jpg", "jpeg"):
        ok = head.startswith(b"\xff\xd8\xff")
    elif extension == "png":
        ok = head.startswith(b"\x89PNG\r\n\x1a\n")
    elif extension in OOXML:
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            names = set()
        ok = head.startswith(b"PK\x03\x04") and {"[Content_Types].xml", OOXML[extension]} <= names
    elif extension == "txt":
        if b"\x00" in head:
            return None
        data = path.read_bytes()
        for encoding in ("utf-8", "gb18030"):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return f"text/plain; charset={encoding}"
        return None
    else:
        ok = False
    return ALLOWED_TYPES[extension] if ok else None


def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"


def file_limit() -> int:
    return int(current_app.config.get("DUBAN_MAX_FILE_BYTES", MAX_FILE_BYTES))


def browser_file_limit() -> int:
    """The largest file the page lets the browser send: the per-file limit, or the whole
    request's if smaller (the server refuses either way; this only spares a long upload)."""
    limit = file_limit()
    request_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(limit, int(request_limit)) if request_limit else limit


def _not_allowed(filename: str, allowed: dict) -> str:
    if allowed is IMAGE_TYPES:
        return _("%(name)s: only photos can be added here (JPG, PNG).", name=filename)
    return _("%(name)s: this file type is not allowed (PDF, JPG, PNG, DOCX, XLSX, TXT).", name=filename)


def save_checked_file(storage, allowed: dict = ALLOWED_TYPES) -> StoredFile:
    """Check one uploaded file (size, extension among `allowed`, content) and write it under a
    random name. UploadRejected (a message for the user) leaves nothing on disk."""
    filename = clean_filename(storage.filename)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in allowed:
        raise UploadRejected(_not_allowed(filename, allowed))
    limit = file_limit()
    directory = upload_dir()
    storage_name = secrets.token_hex(20)
    partial = directory / f"{storage_name}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with partial.open("wb") as target:
            while True:
                chunk = storage.stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise UploadRejected(_("%(name)s is too large (at most %(limit)s).", name=filename,
                                           limit=size_text(limit)))
                digest.update(chunk)
                target.write(chunk)
        if size == 0:
            raise UploadRejected(_("%(name)s is empty.", name=filename))
        content_type = sniff(extension, partial)
        if content_type is None:
            raise UploadRejected(_("%(name)s: the content is not a %(type)s file.", name=filename,
                                   type=extension.upper()))
        partial.rename(directory / storage_name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredFile(filename=filename, storage_name=storage_name, content_type=content_type, size=size,
                      sha256=digest.hexdigest())


def discard(*storage_names: str) -> None:
    """Remove stored files (their record was not written, or was deleted)."""
    directory = upload_dir()
    for name in storage_names:
        (directory / name).unlink(missing_ok=True)


def sandboxed(response, content_type: str):
    """A stored file served so that nothing in it runs in this site's origin."""
    response.headers["Content-Type"] = content_type  # as stored: no charset added by guesswork
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def thumbnail_response(path: Path, content_type: str, what: str):
    """The stored image's thumbnail (made once, then cached), sandboxed: 404 for a file that is no
    image, 422 for one Pillow cannot read safely (logged with `what`, e.g. "attachment 12")."""
    from flask import abort, send_file

    from web.thumbnails import THUMBNAIL_TYPES, NotAnImage, cached_thumbnail, thumbnail_format
    if content_type not in THUMBNAIL_TYPES:
        abort(404)
    try:
        thumbnail = cached_thumbnail(path, upload_dir() / "thumbnails", content_type)
    except NotAnImage as err:
        current_app.logger.info("no thumbnail for %s: %s", what, err)
        abort(422)
    _format, served_as = thumbnail_format(content_type)
    response = send_file(thumbnail, mimetype=served_as, max_age=0, etag=False, conditional=False)
    return sandboxed(response, served_as)
