"""Evidence from the field in a real browser at a phone's size: a file over the limit is
refused before anything is sent, a photo uploads (with progress) and comes back as its
thumbnail on the task page, and the thumbnail opens the full image. Screenshots go to
test-artifacts/."""
from sqlalchemy import select

from engine.store.models import HumanTask
from tests.browser_support import assert_fits, browser, live_server, page, screenshot, sign_in  # noqa: F401
from tests.test_evidence_previews import photo_bytes

SMALL_LIMIT = 200_000  # bytes; the page renders whatever the server enforces


def newest_triage(session_factory) -> HumanTask:
    with session_factory() as s:
        return s.scalars(select(HumanTask).where(HumanTask.element_id == "triage_lead", HumanTask.status == "open")
                         .order_by(HumanTask.id.desc())).first()


def test_a_photo_uploads_from_a_phone_and_shows_as_a_thumbnail(page, demo, session_factory, monkeypatch):
    monkeypatch.setitem(demo.config, "DUBAN_MAX_FILE_BYTES", SMALL_LIMIT)
    task = newest_triage(session_factory)
    page.set_viewport_size({"width": 390, "height": 844})
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    sign_in(page, "office.officer")
    page.goto(f"/tasks/{task.id}")
    assert page.locator("#upload-camera").get_attribute("capture") == "environment"

    # Too large: refused in the browser, with the limit in Chinese, and nothing is sent.
    page.set_input_files("#upload-file", files=[{"name": "监控录像截图.pdf", "mimeType": "application/pdf",
                                                 "buffer": b"%PDF-1.4\n" + b"0" * SMALL_LIMIT}])
    refusal = page.locator("#upload-form .evidence-too-large")
    assert "监控录像截图.pdf 文件过大" in refusal.inner_text() and "195.312 KB" in refusal.inner_text()
    assert page.evaluate("document.getElementById('upload-file').files.length") == 0
    assert not [url for url in sent if "/attachments" in url]
    screenshot(page, "evidence-too-large-phone")

    # A photo as the camera gives it: uploaded by XHR, then the page shows its thumbnail.
    page.set_input_files("#upload-camera", files=[{"name": "image.jpg", "mimeType": "image/jpeg",
                                                   "buffer": photo_bytes()}])
    assert refusal.inner_text() == ""
    page.click("#upload-form button[type=submit]")
    thumbnail = page.locator("#attachment-list img.evidence-thumbnail")
    thumbnail.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [200, 320]  # upright
    assert "证据材料已上传" in page.content()
    assert [url for url in sent if url.endswith(f"/tasks/{task.id}/attachments")]
    screenshot(page, "evidence-thumbnail-phone")
    assert_fits(page)  # the upload row and thumbnails do not push the page sideways

    # The thumbnail opens the full image in the browser.
    with page.expect_popup() as opened:
        page.click("#attachment-list a.evidence-image")
    full = opened.value
    full.wait_for_load_state()
    assert full.url.endswith("/view")
