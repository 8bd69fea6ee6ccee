"""Evidence files of a case: uploads (checked by content, stored under random names), the
form's file fields, and downloads for whoever may see the case."""
import hashlib
import os
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import (
    abort,
    current_app,
    request,
    send_file,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.store.models import (
    Attachment,
    HumanTask,
    TaskCosigner,
)
from web.extensions import db
from web.tasks import bp
from web.tasks.access import can_see_instance, operations
from web.thumbnails import THUMBNAIL_TYPES, NotAnImage, cached_thumbnail, thumbnail_format


MAX_FILE_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024
UPLOAD_SUFFIX = "__upload"  # <input type=file name="<field id>__upload"> beside a `file` field

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
SERVED_TYPES = set(ALLOWED_TYPES.values()) | {"text/plain; charset=gb18030"}
# Phones' file pickers offer the photo library and camera only for MIME types, not extensions.
PHONE_PICKER_TYPES = ("image/jpeg", "image/png", "application/pdf")


# -- evidence files -------------------------------------------------------------------------

def upload_dir() -> Path:
    path = Path(current_app.config["DUBAN_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _clean_filename(name: str) -> str:
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


def browser_file_limit() -> int:
    """The largest file the page lets the browser send: the per-file limit, or the whole
    request's if smaller (the server refuses either way; this only spares a long upload)."""
    limit = int(current_app.config.get("DUBAN_MAX_FILE_BYTES", MAX_FILE_BYTES))
    request_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(limit, int(request_limit)) if request_limit else limit


class UploadRejected(Exception):
    pass


@dataclass(frozen=True)
class ReceivedFile:
    """An upload that passed the checks and lies in storage, not yet part of a case."""
    filename: str
    storage_name: str
    content_type: str
    size: int
    sha256: str

    def discard(self) -> None:
        (upload_dir() / self.storage_name).unlink(missing_ok=True)


def receive_upload(storage) -> ReceivedFile:
    """Check one uploaded file (size, extension, content) and write it under a random name.
    UploadRejected carries a message for the user; nothing stays on disk then."""
    filename = _clean_filename(storage.filename)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED_TYPES:
        raise UploadRejected(_("%(name)s: this file type is not allowed (PDF, JPG, PNG, DOCX, XLSX, TXT).",
                               name=filename))
    limit = int(current_app.config.get("DUBAN_MAX_FILE_BYTES", MAX_FILE_BYTES))
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
    return ReceivedFile(filename, storage_name, content_type, size, digest.hexdigest())


def attach_received(received: ReceivedFile, instance_id: int, actor, task_id: int | None = None) -> int:
    """Make a received file evidence of the case; returns the attachment id (the file is
    removed from storage if this fails)."""
    try:
        return operations().add_attachment(instance_id, actor, filename=received.filename,
                                           storage_name=received.storage_name, content_type=received.content_type,
                                           size=received.size, sha256=received.sha256, task_id=task_id)
    except BaseException:
        received.discard()
        raise


def store_upload(storage, task: HumanTask) -> int:
    """Check one uploaded file and record it as evidence of the task; returns the attachment id."""
    return attach_received(receive_upload(storage), task.instance_id, current_user.actor, task.id)


def may_contribute(task: HumanTask) -> bool:
    """Who may add evidence to an open task: its holder, a co-handler, the delegator, a supervisor."""
    if task.status != "open":
        return False
    actor = current_user.actor
    if operations().holds(task, actor) or actor.supervises or task.owner == actor.username:
        return True
    return db.session.scalar(select(TaskCosigner.id).where(
        TaskCosigner.task_id == task.id, TaskCosigner.username == actor.username).limit(1)) is not None


def store_field_uploads(form, task, values: dict, errors: dict) -> None:
    """Files chosen beside `file` fields: stored, and their ids added to the field's value."""
    for spec in (form or {}).get("fields", []):
        if spec.get("type") != "file":
            continue
        for storage in request.files.getlist(spec["id"] + UPLOAD_SUFFIX):
            if not storage or not storage.filename:
                continue
            db.session.rollback()
            try:
                values.setdefault(spec["id"], []).append(str(store_upload(storage, task)))
            except UploadRejected as err:
                errors.setdefault(spec["id"], []).append(str(err))


def check_file_ids(form, task, values: dict, errors: dict) -> None:
    """Attachment ids in `file` fields must be files of this case."""
    wanted = {int(v) for spec in (form or {}).get("fields", []) if spec.get("type") == "file"
              for v in values.get(spec["id"], []) if str(v).isdigit()}
    known = set(db.session.scalars(select(Attachment.id).where(
        Attachment.id.in_(wanted), Attachment.instance_id == task.instance_id))) if wanted else set()
    for spec in (form or {}).get("fields", []):
        if spec.get("type") != "file":
            continue
        bad = [v for v in values.get(spec["id"], []) if not str(v).isdigit() or int(v) not in known]
        if bad:
            errors.setdefault(spec["id"], []).append(_("Unknown attachment: %(ids)s", ids=", ".join(map(str, bad))))


def case_attachments(instance_id: int) -> list[Attachment]:
    return db.session.scalars(select(Attachment).where(Attachment.instance_id == instance_id)
                              .order_by(Attachment.id)).all()


def _visible_file(attachment_id: int) -> tuple[Attachment, Path]:
    """The attachment and its stored file, for whoever may see the case; 404 otherwise."""
    row = db.session.get(Attachment, attachment_id)
    if row is None or not can_see_instance(row.instance_id):
        abort(404)
    path = upload_dir() / row.storage_name
    if not path.is_file():
        abort(404)
    return row, path


def _sandboxed(response, content_type: str):
    response.headers["Content-Type"] = content_type  # as stored: no charset added by guesswork
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id):
    row, path = _visible_file(attachment_id)
    content_type = row.content_type if row.content_type in SERVED_TYPES else "application/octet-stream"
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=row.filename,
                         max_age=0, etag=False, conditional=False)
    return _sandboxed(response, content_type)


def previewable(row: Attachment) -> str | None:
    """How the page previews this file: "image" (thumbnail), "pdf" (browser viewer) or None."""
    if row.content_type in THUMBNAIL_TYPES:
        return "image"
    if row.content_type == "application/pdf":
        return "pdf"
    return None


@bp.get("/attachments/<int:attachment_id>/view")
@login_required
def attachment_inline(attachment_id):
    """PDFs and images opened in the browser itself (its PDF viewer), still sandboxed."""
    row, path = _visible_file(attachment_id)
    if previewable(row) is None:
        abort(404)
    # The CSP sandbox keeps any script in a PDF or image away from this origin; PDF viewers
    # in Chrome and Firefox still render under `sandbox` for a top-level document.
    response = send_file(path, mimetype=row.content_type, as_attachment=False, download_name=row.filename,
                         max_age=0, etag=False, conditional=False)
    return _sandboxed(response, row.content_type)


@bp.get("/attachments/<int:attachment_id>/thumbnail")
@login_required
def attachment_thumbnail(attachment_id):
    row, path = _visible_file(attachment_id)
    if row.content_type not in THUMBNAIL_TYPES:
        abort(404)
    try:
        thumbnail = cached_thumbnail(path, upload_dir() / "thumbnails", row.content_type)
    except NotAnImage as err:
        current_app.logger.info("no thumbnail for attachment %s: %s", row.id, err)
        abort(422)
    _, content_type = thumbnail_format(row.content_type)
    response = send_file(thumbnail, mimetype=content_type, max_age=0, etag=False, conditional=False)
    return _sandboxed(response, content_type)
