"""Evidence files of a case: uploads (checked by content, stored under random names), the
form's file fields, and downloads for whoever may see the case."""
from pathlib import Path

from flask import (
    abort,
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
from web.thumbnails import THUMBNAIL_TYPES
# The checks of an uploaded file live in web.uploads (shared with publicity photos); the names
# stay importable from here for the task page.
from web.uploads import (  # noqa: F401
    ALLOWED_TYPES,
    MAX_FILE_BYTES,
    PHONE_PICKER_TYPES,
    SERVED_TYPES,
    UploadRejected,
    browser_file_limit,
    discard,
    sandboxed,
    save_checked_file,
    size_text,
    sniff,
    thumbnail_response,
    upload_dir,
)

UPLOAD_SUFFIX = "__upload"  # <input type=file name="<field id>__upload"> beside a `file` field


# -- evidence files -------------------------------------------------------------------------

def store_upload(storage, task: HumanTask) -> int:
    """Check one uploaded file (size, extension, content), write it under a random name and
    record it; returns the attachment id. UploadRejected carries a message for the user."""
    stored = save_checked_file(storage)
    try:
        return operations().add_attachment(task.instance_id, current_user.actor, filename=stored.filename,
                                           storage_name=stored.storage_name, content_type=stored.content_type,
                                           size=stored.size, sha256=stored.sha256, task_id=task.id)
    except BaseException:
        discard(stored.storage_name)
        raise


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


_sandboxed = sandboxed


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
    return thumbnail_response(path, row.content_type, f"attachment {row.id}")
