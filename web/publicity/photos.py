"""A publicity activity's photos, for whoever may see the activity: the photo itself (opened in the
browser, sandboxed) and a small thumbnail without the camera's metadata (web.thumbnails)."""
from flask import abort, current_app, send_file
from flask_login import login_required

from web.publicity import bp
from web.publicity.access import visible_photo_or_404
from web.thumbnails import THUMBNAIL_TYPES, NotAnImage, cached_thumbnail, thumbnail_format
from web.uploads import IMAGE_TYPES, sandboxed, upload_dir


def _stored(photo_id: int):
    photo = visible_photo_or_404(photo_id)
    path = upload_dir() / photo.storage_name
    if photo.content_type not in set(IMAGE_TYPES.values()) or not path.is_file():
        abort(404)
    return photo, path


@bp.get("/photos/<int:photo_id>")
@login_required
def photo(photo_id):
    row, path = _stored(photo_id)
    response = send_file(path, mimetype=row.content_type, as_attachment=False, download_name=row.filename,
                         max_age=0, etag=False, conditional=False)
    return sandboxed(response, row.content_type)


@bp.get("/photos/<int:photo_id>/thumbnail")
@login_required
def photo_thumbnail(photo_id):
    row, path = _stored(photo_id)
    if row.content_type not in THUMBNAIL_TYPES:
        abort(404)
    try:
        thumbnail = cached_thumbnail(path, upload_dir() / "thumbnails", row.content_type)
    except NotAnImage as err:
        current_app.logger.info("no thumbnail for publicity photo %s: %s", row.id, err)
        abort(422)
    _format, content_type = thumbnail_format(row.content_type)
    response = send_file(thumbnail, mimetype=content_type, max_age=0, etag=False, conditional=False)
    return sandboxed(response, content_type)
