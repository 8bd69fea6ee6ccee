"""Evidence uploads can never be served as something a browser runs.

Types that could run (HTML, SVG, JavaScript, XML ...) are refused whatever their name looks
like; whatever is accepted is served as an attachment, with its checked type (or
application/octet-stream), `nosniff` and a sandbox policy. tests/test_web_tasks.py covers the
allowed types, sizes and disguised binaries; this adds the ways to smuggle active content.
"""
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.store.models import Attachment
from tests.security_support import PDF, world  # noqa: F401 (fixture)

HTML = b"<!doctype html><html><body><script>fetch('/leads/1/reporter')</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>alert(document.cookie)</script></svg>")
SERVED = {"application/pdf", "image/jpeg", "image/png", "text/plain; charset=utf-8", "text/plain; charset=gb18030",
          "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"}


def _upload(world, name, content, role="market_officer"):
    return world.client(role).post(
        f"/tasks/{world.ids['task']}/attachments", content_type="multipart/form-data",
        data={"csrf_token": world.csrf[role], "file": (io.BytesIO(content), name)})


def _attachments(world):
    with world.app.app_context():
        from web.extensions import db
        rows = db.session.execute(select(Attachment.id, Attachment.filename, Attachment.content_type,
                                         Attachment.storage_name).order_by(Attachment.id)).all()
        db.session.rollback()
        return rows


def _stored_files(world):
    return sorted(p.name for p in Path(world.app.config["DUBAN_UPLOAD_DIR"]).iterdir())


def check_download(response):
    """Served as a file to save, never to render or run."""
    headers = response.headers
    assert response.status_code == 200
    assert headers["Content-Type"] in SERVED
    assert headers["Content-Disposition"].startswith("attachment;")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("name, content", [
    ("evidence.html", HTML), ("evidence.htm", HTML), ("EVIDENCE.HTML", HTML), ("evidence.xhtml", HTML),
    ("evidence.svg", SVG), ("evidence.SVG", SVG), ("evidence.svgz", SVG), ("evidence.xml", SVG),
    ("evidence.js", b"alert(1)"), ("evidence.mjs", b"alert(1)"), ("evidence.shtml", HTML),
    ("evidence.pdf.html", HTML), ("evidence.html\x00.pdf", HTML), ("evidence.pdf", HTML), ("evidence.png", SVG),
    ("evidence.jpg", HTML), ("evidence.docx", HTML), (".html", HTML), ("evidence.", HTML),
])
def test_active_content_is_refused_whatever_its_name(world, name, content):
    before, files = _attachments(world), _stored_files(world)
    response = _upload(world, name, content)
    assert response.status_code == 422
    assert "不允许上传此类文件" in response.text or "格式不符" in response.text
    assert _attachments(world) == before
    assert _stored_files(world) == files  # nothing left behind, not even a partial file


def test_html_in_a_text_file_is_served_as_plain_text_to_save(world):
    """A .txt holding HTML is a text file: accepted, and served as text/plain to download."""
    assert _upload(world, "说明.txt", HTML).status_code == 302
    row = _attachments(world)[-1]
    assert row.content_type == "text/plain; charset=utf-8"
    response = world.client("market_officer").get(f"/attachments/{row.id}")
    check_download(response)
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8" and response.data == HTML


def test_a_pdf_with_html_inside_is_served_as_a_pdf_to_save(world):
    polyglot = PDF + b"\n" + HTML
    assert _upload(world, "polyglot.pdf", polyglot).status_code == 302
    row = _attachments(world)[-1]
    response = world.client("market_officer").get(f"/attachments/{row.id}")
    check_download(response)
    assert response.headers["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("stored_type", ["text/html", "image/svg+xml", "application/javascript", "text/xml",
                                         "text/plain; charset=utf-8\r\nX-Injected: 1"])
def test_a_row_with_an_active_type_is_served_as_octet_stream(world, stored_type):
    """Should a row ever hold another type (an older version, a direct import), it is not trusted."""
    assert _upload(world, "legacy.pdf", PDF).status_code == 302
    row = _attachments(world)[-1]
    with world.app.app_context():
        from web.extensions import db
        db.session.get(Attachment, row.id).content_type = stored_type
        db.session.commit()
    response = world.client("market_officer").get(f"/attachments/{row.id}")
    check_download(response)
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert "X-Injected" not in response.headers


@pytest.mark.parametrize("name", [
    "../../../../etc/cron.d/evil.pdf", "..\\..\\windows\\evil.pdf", "/var/lib/duban/uploads/evil.pdf",
    'evil"\r\nSet-Cookie: session=forged\r\n.pdf', 'evil"; filename*=UTF-8\'\'x.html; a=".pdf',
    "<img src=x onerror=alert(1)>.pdf",
])
def test_file_names_cannot_escape_the_folder_or_the_header(world, name):
    """Refused, or kept as a plain name: stored under a random name in the upload folder and
    sent back in a Content-Disposition that carries nothing else."""
    before = _attachments(world)
    response = _upload(world, name, PDF)
    if response.status_code == 422:  # the name lost its extension on the way: refused, nothing stored
        assert _attachments(world) == before
        return
    assert response.status_code == 302
    row = _attachments(world)[-1]
    assert "/" not in row.filename and "\\" not in row.filename and "\r" not in row.filename
    folder = Path(world.app.config["DUBAN_UPLOAD_DIR"])
    assert (folder / row.storage_name).is_file() and len(row.storage_name) >= 32
    assert set(row.storage_name) <= set("0123456789abcdef")
    download = world.client("market_officer").get(f"/attachments/{row.id}")
    check_download(download)
    disposition = download.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert "forged" not in download.headers.get("Set-Cookie", "")
    assert download.headers["Content-Type"] == "application/pdf"
    # The task page lists the name as text, not markup.
    page = world.client("market_officer").get(f"/tasks/{world.ids['task']}")
    assert "<img src=x onerror" not in page.text


def test_the_evidence_list_counts_only_accepted_files(world):
    from domain.models import PublicityPhoto
    with world.app.app_context():
        from web.extensions import db
        count = db.session.scalar(select(func.count()).select_from(Attachment))
        photos = db.session.scalar(select(func.count()).select_from(PublicityPhoto))  # the world's publicity photo
        db.session.rollback()
    assert count + photos == len(_stored_files(world))  # every file on disk has its row, and no more
