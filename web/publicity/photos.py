"""A publicity activity's photos, for whoever may see the activity: the photo itself (opened in the
browser, sandboxed) and a small thumbnail without the camera's metadata (web.thumbnails)."""
from flask import abort, send_file
from flask_login import login_required

from web.publicity import bp
from web.publicity.access import visible_photo_or_404
from web.uploads import IMAGE_TYPES, sandboxed, thumbnail_response, upload_dir


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
    return thumbnail_response(path, row.content_type, f"publicity photo {row.id}")
