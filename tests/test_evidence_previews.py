"""Evidence previews: image thumbnails made server-side (upright, small, without the camera's
metadata, cached, refused for bombs and corrupt files), PDFs opened inline in the browser's
viewer under the same sandbox as downloads, and both shown on the task and case pages."""
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from engine.store.models import Attachment
from tests.conftest import login
from tests.test_web_tasks import JPEG, PDF, TRIAGE, docx_bytes, post, switch_user, triage, upload  # noqa: F401

SANDBOX = "default-src 'none'; sandbox"
EXIF_ORIENTATION, EXIF_GPS_IFD, EXIF_MAKE = 0x0112, 0x8825, 0x010F


def photo_bytes(size=(640, 400), orientation=6, fmt="JPEG") -> bytes:
    """A landscape-stored photo whose EXIF says "rotate 90° clockwise", with GPS and camera make."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: orientation is visible
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    exif[EXIF_MAKE] = "FieldPhone"
    exif.get_ifd(EXIF_GPS_IFD).update({1: "N", 2: (24.0, 48.0, 0.0), 3: "E", 4: (118.0, 35.0, 0.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def bomb_png(side: int) -> bytes:
    """A tiny file that decodes to side² pixels."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def uploaded(client, session_factory, task, name, content) -> Attachment:
    response = upload(client, task.id, name, content)
    assert response.status_code == 302, response.text
    with session_factory() as s:
        return s.scalars(select(Attachment).where(Attachment.instance_id == task.instance_id)
                         .order_by(Attachment.id.desc())).first()


def assert_sandboxed(response, content_type):
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == SANDBOX
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_thumbnail_is_small_upright_and_carries_no_camera_metadata(client, session_factory, demo, triage):
    login(client, "office.officer")
    row = uploaded(client, session_factory, triage, "现场照片.jpg", photo_bytes())
    response = client.get(f"/attachments/{row.id}/thumbnail")
    assert response.status_code == 200
    assert_sandboxed(response, "image/jpeg")
    thumbnail = Image.open(io.BytesIO(response.data))
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (200, 320)  # stored 640×400, EXIF rotation applied, longest side 320
    # Turned clockwise: the stored left half (blue) is now on top.
    top, bottom = thumbnail.getpixel((100, 20)), thumbnail.getpixel((100, 300))
    assert top[2] > 150 > top[0] and bottom[0] > 150 > bottom[2]
    assert not thumbnail.getexif() and "exif" not in thumbnail.info and b"FieldPhone" not in response.data


def test_a_png_thumbnail_stays_png(client, session_factory, demo, triage):
    login(client, "office.officer")
    row = uploaded(client, session_factory, triage, "截图.png", photo_bytes(size=(1000, 500), orientation=1, fmt="PNG"))
    response = client.get(f"/attachments/{row.id}/thumbnail")
    assert response.status_code == 200
    assert_sandboxed(response, "image/png")
    assert Image.open(io.BytesIO(response.data)).size == (320, 160)


def test_the_thumbnail_is_made_once_and_then_read_from_the_cache(client, session_factory, demo, triage):
    login(client, "office.officer")
    row = uploaded(client, session_factory, triage, "现场照片.jpg", photo_bytes())
    first = client.get(f"/attachments/{row.id}/thumbnail")
    [cached] = (Path(demo.config["DUBAN_UPLOAD_DIR"]) / "thumbnails").iterdir()
    assert cached.read_bytes() == first.data and cached.name.startswith(row.storage_name)
    cached.write_bytes(first.data + b"cached")  # a second render would not carry this
    assert client.get(f"/attachments/{row.id}/thumbnail").data == first.data + b"cached"


@pytest.mark.parametrize("side", [9_500, 13_000])  # over our limit; over twice Pillow's (DecompressionBombError)
def test_a_decompression_bomb_gets_no_thumbnail(client, session_factory, demo, triage, side):
    login(client, "office.officer")
    row = uploaded(client, session_factory, triage, "bomb.png", bomb_png(side))
    response = client.get(f"/attachments/{row.id}/thumbnail")
    assert response.status_code == 422
    assert not (Path(demo.config["DUBAN_UPLOAD_DIR"]) / "thumbnails").exists() or \
        not any((Path(demo.config["DUBAN_UPLOAD_DIR"]) / "thumbnails").iterdir())


@pytest.mark.parametrize("name, content", [("坏图.jpg", JPEG), ("截断.jpg", photo_bytes()[:300]),
                                           ("坏图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)])
def test_a_corrupt_image_gets_no_thumbnail_and_no_server_error(client, session_factory, demo, triage, name, content):
    login(client, "office.officer")
    row = uploaded(client, session_factory, triage, name, content)
    assert client.get(f"/attachments/{row.id}/thumbnail").status_code == 422
    assert client.get(f"/attachments/{row.id}").status_code == 200  # still downloadable as it is


def test_previews_follow_the_download_permissions(client, session_factory, demo, triage):
    login(client, "office.officer")
    image = uploaded(client, session_factory, triage, "现场照片.jpg", photo_bytes())
    pdf = uploaded(client, session_factory, triage, "材料.pdf", PDF)
    switch_user(client, "office.supervisor")
    assert client.get(f"/attachments/{image.id}/thumbnail").status_code == 200
    for other in ("police.officer", "market.officer"):  # another unit's users
        switch_user(client, other)
        for path in (f"/attachments/{image.id}/thumbnail", f"/attachments/{image.id}/view",
                     f"/attachments/{pdf.id}/view"):
            assert client.get(path).status_code == 404, (other, path)
    assert client.get("/attachments/999999/thumbnail").status_code == 404
    post(client, "/logout")
    assert client.get(f"/attachments/{image.id}/thumbnail").status_code in (302, 401)


def test_a_pdf_opens_inline_in_the_browser_viewer_still_sandboxed(client, session_factory, demo, triage):
    login(client, "office.officer")
    row = uploaded(client, session_factory, triage, "举报材料.pdf", PDF)
    response = client.get(f"/attachments/{row.id}/view")
    assert response.status_code == 200 and response.data == PDF
    assert_sandboxed(response, "application/pdf")
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert "filename*=UTF-8''%E4%B8%BE%E6%8A%A5%E6%9D%90%E6%96%99.pdf" in response.headers["Content-Disposition"]


def test_only_images_and_pdfs_preview(client, session_factory, demo, triage):
    login(client, "office.officer")
    pdf = uploaded(client, session_factory, triage, "材料.pdf", PDF)
    docx = uploaded(client, session_factory, triage, "报告.docx", docx_bytes())
    assert client.get(f"/attachments/{pdf.id}/thumbnail").status_code == 404
    assert client.get(f"/attachments/{docx.id}/view").status_code == 404
    assert client.get(f"/attachments/{docx.id}/thumbnail").status_code == 404


def test_the_task_and_case_pages_show_previews(client, session_factory, demo, triage):
    login(client, "office.officer")
    image = uploaded(client, session_factory, triage, "现场照片.jpg", photo_bytes())
    pdf = uploaded(client, session_factory, triage, "材料.pdf", PDF)
    docx = uploaded(client, session_factory, triage, "报告.docx", docx_bytes())
    page = client.get(f"/tasks/{triage.id}").text
    assert f'src="/attachments/{image.id}/thumbnail"' in page
    assert f'href="/attachments/{image.id}/view"' in page and f'href="/attachments/{pdf.id}/view"' in page
    assert f'href="/attachments/{docx.id}"' in page and f"/attachments/{docx.id}/view" not in page
    assert f'href="/attachments/{pdf.id}" title="下载"' in page  # the download stays one tap away
    # The phone's camera and the size limit, rendered for the browser to check before sending.
    assert 'capture="environment"' in page and "拍照" in page
    limit = min(int(demo.config.get("DUBAN_MAX_FILE_BYTES", 10 * 1024 * 1024)), demo.config["MAX_CONTENT_LENGTH"])
    assert f'data-max-bytes="{limit}"' in page and "{name} 文件过大" in page
    assert "image/jpeg" in re.search(r'id="upload-file"[^>]*accept="([^"]+)"', page).group(1)
    lead_id = re.search(r'href="/leads/(\d+)"', page).group(1)
    assert post(client, f"/tasks/{triage.id}/complete", TRIAGE).status_code == 302
    case_page = client.get(f"/leads/{lead_id}").text
    assert f'src="/attachments/{image.id}/thumbnail"' in case_page
    assert f'href="/attachments/{pdf.id}/view"' in case_page
