"""Security headers on every kind of response: pages, JSON, XML, file downloads, static files,
redirects and error pages (400, 401, 403, 404, 405, 413, 422, 500; 429 in test_security_auth.py).

Every response: X-Content-Type-Options nosniff, X-Frame-Options DENY, a Content-Security-Policy,
a Referrer-Policy. Pages get the pages' policy (scripts from this site only, no framing); anything
that is not a page (JSON, XML, files) a sandbox that runs nothing even when opened on its own.
"""
import re
from pathlib import Path

import pytest

from engine.identity import SYSTEM
from tests import bpmn_builder as b
from tests.security_support import world  # noqa: F401 (fixture)

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
REFERRER_POLICIES = {"same-origin", "no-referrer", "strict-origin", "strict-origin-when-cross-origin"}


def check_headers(response, where):
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") in REFERRER_POLICIES, where
    policy = headers.get("Content-Security-Policy", "")
    assert policy, where
    if response.mimetype == "text/html":
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, where
        assert "script-src 'self'" in policy and "*" not in policy and "http:" not in policy, where
        script_src = policy.split("script-src")[1].split(";")[0]
        assert "unsafe" not in script_src, where  # no inline scripts or handlers run
    else:
        assert "default-src 'none'" in policy and "sandbox" in policy, (where, policy)
        assert "unsafe" not in policy, where


# (role, method, path, expected status, expected content type) for each kind of response
RESPONSES = [
    # pages and redirects
    ("anonymous", "GET", "/login", 200, "text/html"),
    ("market_officer", "GET", "/inbox/", 200, "text/html"),
    ("market_officer", "GET", "/tasks/{task}", 200, "text/html"),
    ("market_officer", "GET", "/admin/campaign/", 200, "text/html"),
    ("market_officer", "GET", "/publicity/", 200, "text/html"),
    ("market_officer", "GET", "/publicity/{publicity}", 200, "text/html"),
    ("anonymous", "GET", "/api/v1/docs", 200, "text/html"),
    ("market_officer", "GET", "/inspections/{inspection}", 200, "text/html"),
    ("market_officer", "GET", "/inspections/new", 200, "text/html"),
    ("anonymous", "GET", "/", 302, "text/html"),
    ("anonymous", "GET", "/inbox/", 302, "text/html"),
    # JSON
    ("anonymous", "GET", "/healthz", 200, "application/json"),
    ("token", "GET", "/api/v1/units", 200, "application/json"),
    ("anonymous", "GET", "/api/v1/openapi.json", 200, "application/json"),
    ("market_officer", "GET", "/instances/{instance}/markers.json", 200, "application/json"),
    ("admin", "GET", "/admin/api/known-groups", 200, "application/json"),
    ("admin", "GET", "/admin/api/known-decisions", 200, "application/json"),
    # XML
    ("market_officer", "GET", "/instances/{instance}/diagram.xml", 200, "application/xml"),
    ("admin", "GET", "/admin/processes/lead_handling/versions/1.bpmn?download=0", 200, "application/xml"),
    ("admin", "GET", "/admin/api/template", 200, "application/xml"),
    ("admin", "GET", "/admin/api/decisions/template", 200, "application/xml"),
    ("admin", "GET", "/admin/decisions/security_probe/versions/1.dmn?download=0", 200, "application/xml"),
    # downloads
    ("market_officer", "GET", "/attachments/{attachment}", 200, "application/pdf"),
    ("market_officer", "GET", "/attachments/{attachment}/view", 200, "application/pdf"),
    ("market_officer", "GET", "/attachments/{image_attachment}/thumbnail", 200, "image/png"),
    ("market_officer", "GET", "/publicity/photos/{publicity_photo}", 200, "image/png"),
    ("market_officer", "GET", "/publicity/photos/{publicity_photo}/thumbnail", 200, "image/png"),
    ("market_officer", "GET", "/publicity/export.xlsx", 200,
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("office_leader", "GET", "/dashboard/reports.xlsx", 200,
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("office_leader", "GET", "/dashboard/ledger.xlsx", 200,
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("office_leader", "GET", "/returns/summary/2026-02.xlsx", 200,
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("office_leader", "GET", "/returns/summary/2026-02/print", 200, "text/html"),
    ("office_leader", "GET", "/returns/summary/2026-02.docx", 200,
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("market_officer", "GET", "/returns/market/2026-02", 200, "text/html"),
    ("police_officer", "GET", "/returns/market/2026-02", 403, "text/html"),
    ("admin", "GET", "/admin/processes/lead_handling/versions/1.bpmn", 200, "application/xml"),
    ("police_officer", "GET", "/strike-cases.xlsx", 200,
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    # static files
    ("anonymous", "GET", "/static/duban.css", 200, "text/css"),
    ("anonymous", "GET", "/vendor/htmx/htmx.min.js", 200, "text/javascript"),
    # errors
    ("market_officer", "GET", "/no-such-page", 404, "text/html"),
    ("market_officer", "GET", "/api/v1/no-such-thing", 404, "application/json"),
    ("police_officer", "GET", "/tasks/{task}", 404, "text/html"),
    ("police_officer", "GET", "/publicity/{publicity}", 404, "text/html"),
    ("police_supervisor", "GET", "/publicity/{publicity}/edit", 403, "text/html"),
    ("market_officer", "GET", "/publicity/?form=parade", 400, "text/html"),
    ("police_officer", "GET", "/inspections/{inspection}", 404, "text/html"),
    ("market_officer", "GET", "/admin/", 403, "text/html"),
    ("market_officer", "GET", "/strike-cases/{strike_case}", 403, "text/html"),
    ("police_officer", "GET", "/strike-cases/{strike_case}", 200, "text/html"),
    ("market_officer", "GET", "/admin/api/known-groups", 403, "application/json"),
    ("market_officer", "GET", "/admin/api/known-decisions", 403, "application/json"),
    ("anonymous", "GET", "/api/v1/units", 401, "application/json"),
    ("token", "GET", "/api/v1/statistics", 403, "application/json"),
    ("market_officer", "POST", "/tasks/{task}/comments", 400, "text/html"),          # no CSRF token
    ("market_officer", "POST", "/api/v1/tasks/{task}/claim", 400, "application/json"),
    ("market_officer", "GET", "/logout", 405, "text/html"),
    ("token", "PUT", "/api/v1/units", 405, "application/json"),
    ("market_officer", "GET", "/dashboard/reports?month=2026-13", 403, "text/html"),
    ("office_leader", "GET", "/dashboard/?phase=999999", 422, "text/html"),
    ("office_leader", "GET", "/leads?phase=abc", 422, "text/html"),
]


@pytest.mark.parametrize("role, method, path, status, content_type", RESPONSES,
                         ids=[f"{status}-{path}" for _r, _m, path, status, _c in RESPONSES])
def test_every_kind_of_response_carries_the_headers(world, role, method, path, status, content_type):
    response = world.client(role).open(path.format(**world.ids), method=method)
    assert response.status_code == status
    assert response.mimetype == content_type
    check_headers(response, path)


def test_a_too_large_body_and_invalid_input(world):
    admin = world.client("admin")
    too_large = admin.post("/admin/api/validate", data=b"x" * (2 * 1024 * 1024 + 1),
                           headers={"X-CSRFToken": world.csrf["admin"], "Content-Type": "application/json"})
    assert too_large.status_code == 413 and too_large.is_json
    check_headers(too_large, "413")
    invalid = world.client("token").post(f"/api/v1/tasks/{world.ids['task']}/complete", json={"data": "not a dict"})
    assert invalid.status_code == 422 and invalid.is_json
    check_headers(invalid, "422")
    no_reason = world.client("market_supervisor").post(f"/leads/{world.ids['lead']}/reporter",
                                                       data={"csrf_token": world.csrf["market_supervisor"]})
    assert no_reason.status_code == 422 and no_reason.mimetype == "text/html"
    check_headers(no_reason, "422 page")


@pytest.mark.parametrize("endpoint, path, content_type", [
    ("main.about", "/about", "text/html"),
    ("api-units.list_units", "/api/v1/units", "application/json"),
])
def test_a_server_error_carries_the_headers_and_no_traceback(world, monkeypatch, endpoint, path, content_type):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug, with /secret/path/in/the/message")

    monkeypatch.setitem(world.app.view_functions, endpoint, broken)
    monkeypatch.setitem(world.app.config, "PROPAGATE_EXCEPTIONS", False)
    response = world.client("admin").get(path)
    assert response.status_code == 500 and response.mimetype == content_type
    assert "Traceback" not in response.text and "/secret/path" not in response.text
    check_headers(response, "500")


def test_xml_from_an_uploaded_bpmn_is_served_sandboxed(world):
    """BPMN <documentation> may hold any markup, XHTML <script> included, and deploys. Opened on
    its own, the XML would run that script under the pages' policy; the data policy runs nothing."""
    script = '<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(document.cookie)</html:script>'
    xml = b.process("xss_probe", b.start(), b.user_task("t"), b.end(), *b.chain("start", "t", "end"))
    xml = xml if isinstance(xml, str) else xml.decode()
    xml = xml.replace('<bpmn:startEvent id="start"/>',
                      f'<bpmn:startEvent id="start"><bpmn:documentation>{script}</bpmn:documentation>'
                      '</bpmn:startEvent>')
    engine = world.app.extensions["duban"].engine
    engine.deploy(xml.encode(), "xss_probe.bpmn", SYSTEM)
    instance_id = engine.start("xss_probe", {}, SYSTEM)
    for role, path in (("admin", "/admin/processes/xss_probe/versions/1.bpmn?download=0"),
                       ("office_leader", f"/instances/{instance_id}/diagram.xml")):
        response = world.client(role).get(path)
        assert response.status_code == 200 and "alert(document.cookie)" in response.text
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox"
        check_headers(response, path)


def test_no_page_needs_an_inline_script():
    """The page CSP runs scripts from this site's files only: a template with an inline <script>
    or an on*= handler attribute would silently stop working in the browser."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
    handler = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
    offenders = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                 if inline_script.search(path.read_text(encoding="utf-8"))
                 or handler.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
