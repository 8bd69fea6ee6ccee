"""CSRF: every state-changing route refuses a request without the session's CSRF token.

The routes are read from `app.url_map` (every POST, PUT, PATCH and DELETE). Each is sent
without a token by a user the authorization matrix allows (so only the missing token can
be why it is refused): 400 with a message saying what happened, and nothing changed.

The JSON API is included for the pages' session: a cookie-authenticated write needs the
token in X-CSRFToken. API tokens need none (a browser never sends an Authorization header
by itself; tests/test_api.py covers that).

Camunda 7's REST API under /engine-rest takes API tokens only: no cookie counts there, so it has
no cookie-authenticated write for the CSRF token to protect. Its writes are checked for exactly
that instead: a signed-in session is refused (401) with or without the CSRF token.
"""
import io

import pytest

from tests.security_support import PDF, fingerprint, world  # noqa: F401 (fixture)
from tests.test_security_authz_matrix import API_BODIES, EXPECTED, FORM, JSON_PREFIXES, OK

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PAGE_MESSAGE = "表单已过期或并非从本站提交，未作任何更改。请刷新页面后重试。"
ADMIN_JSON_MESSAGE = "安全令牌缺失或已过期，请刷新页面。"
NAMELESS_PART = (b"--XX\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
                 b"--XX\r\nContent-Disposition: form-data; filename=\"a.pdf\"\r\n\r\n%PDF-1.4\r\n--XX--\r\n")
# Routes nobody may use (so far) have no allowed role: sent as someone who may at least see the task.
NOBODY_ALLOWED_FALLBACK = "market_officer"


def _allowed_role(endpoint, method):
    expected = EXPECTED[(endpoint, method)][1]
    allowed = [role for role, cell in expected.items() if cell == OK and role != "token"]
    if endpoint == "auth.login":
        return "anonymous"
    return allowed[0] if allowed else NOBODY_ALLOWED_FALLBACK


ENGINE_REST = "engine-rest."  # its endpoints: tokens only, no session (the last test below)


def _write_routes(app):
    return sorted({(rule.endpoint, method) for rule in app.url_map.iter_rules()
                   for method in rule.methods & WRITE_METHODS if not rule.endpoint.startswith(ENGINE_REST)})


def _send(world, role, method, path, headers=None, csrf=None):
    client = world.client(role)
    headers = dict(headers or {})
    if path.startswith(JSON_PREFIXES):
        if csrf:
            headers["X-CSRFToken"] = csrf
        if path == "/api/v1/definitions":
            return client.open(path, method=method, headers=headers, content_type="multipart/form-data",
                               data={"file": (io.BytesIO(b"<bpmn:definitions/>"), "probe.bpmn")})
        body = API_BODIES.get(path, {"data": {}} if path.endswith("/complete") else None)
        return client.open(path, method=method, headers=headers, json=body)
    data = dict(FORM)
    if path == "/login":
        data.update(username="market.officer", password="duban-demo-2026")
    if path.endswith("/attachments"):
        data["file"] = (io.BytesIO(PDF), "probe.pdf")
    if csrf:
        data["csrf_token"] = csrf
    return client.open(path, method=method, data=data, headers=headers, content_type="multipart/form-data")


def write_routes():
    """From the authorization matrix's rows, which must be the app's routes (checked there and below)."""
    return sorted((endpoint, method) for endpoint, method in EXPECTED
                  if method in WRITE_METHODS and not endpoint.startswith(ENGINE_REST))


def engine_rest_write_routes():
    return sorted((endpoint, method) for endpoint, method in EXPECTED
                  if method in WRITE_METHODS and endpoint.startswith(ENGINE_REST))


def test_every_write_route_of_the_app_is_tested(world):
    assert _write_routes(world.app) == write_routes()
    assert len(write_routes()) >= 40


@pytest.mark.parametrize("endpoint, method", write_routes())
def test_a_write_without_the_csrf_token_is_refused_and_changes_nothing(world, endpoint, method):
    role = _allowed_role(endpoint, method)
    path = EXPECTED[(endpoint, method)][0].format(**world.ids)
    before = fingerprint(world)
    response = _send(world, role, method, path)
    assert response.status_code == 400, (role, response.status_code, response.text[:300])
    if path.startswith("/api/"):
        assert response.is_json and "CSRF" in response.json["message"] and "X-CSRFToken" in response.json["message"]
    elif path.startswith("/admin/api/"):
        assert response.is_json and response.json["message"] == ADMIN_JSON_MESSAGE
    else:
        assert 'id="error-page"' in response.text and PAGE_MESSAGE in response.text
    assert fingerprint(world) == before
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # A multipart body with a part without a name (Werkzeug keys it None) made Flask-WTF fail (500).
    nameless = world.client(role).open(path, method=method, data=NAMELESS_PART,
                                       content_type="multipart/form-data; boundary=XX")
    assert nameless.status_code == 400, nameless.text[:300]
    assert fingerprint(world) == before


def test_a_sign_in_without_the_token_signs_nobody_in(world):
    client = world.client("anonymous")
    response = _send(world, "anonymous", "POST", "/login")
    assert response.status_code == 400 and PAGE_MESSAGE in response.text
    login = client.get("/inbox/")
    assert login.status_code == 302 and "/login" in login.headers["Location"]


def test_a_sign_out_without_the_token_leaves_the_user_signed_in(world):
    response = _send(world, "market_officer", "POST", "/logout")
    assert response.status_code == 400
    assert world.client("market_officer").get("/inbox/").status_code == 200


@pytest.mark.parametrize("token", ["forged", "", "another session's"])
def test_a_wrong_token_is_refused_like_a_missing_one(world, token):
    path = f"/tasks/{world.ids['task']}/comments"
    csrf = world.csrf["police_officer"] if token == "another session's" else token
    before = fingerprint(world)
    page = _send(world, "market_officer", "POST", path, csrf=csrf or None)
    api = _send(world, "market_officer", "POST", f"/api/v1/tasks/{world.ids['task']}/claim", csrf=csrf or None)
    assert (page.status_code, api.status_code) == (400, 400)
    assert PAGE_MESSAGE in page.text and "CSRF" in api.json["message"]
    assert fingerprint(world) == before


def test_with_the_token_the_same_requests_go_through(world):
    """The refusals above are the token's doing: with it, the same users' requests are accepted."""
    before = fingerprint(world)
    comment = _send(world, "market_officer", "POST", f"/tasks/{world.ids['task']}/comments",
                    csrf=world.csrf["market_officer"])
    assert comment.status_code == 302 and comment.headers["Location"].startswith(f"/tasks/{world.ids['task']}")
    claim = _send(world, "market_officer", "POST", f"/api/v1/tasks/{world.ids['task']}/claim",
                  csrf=world.csrf["market_officer"])
    assert claim.status_code == 200 and claim.json["assignee"] == "market.officer"
    after = fingerprint(world)
    assert after["audit"] == before["audit"] + 2


def test_a_bearer_token_does_not_stand_in_for_the_csrf_token_on_pages(world):
    """Pages never honour a bearer token, so it cannot be used to skip the CSRF check either."""
    before = fingerprint(world)
    response = _send(world, "market_officer", "POST", f"/tasks/{world.ids['task']}/comments",
                     headers={"Authorization": f"Bearer {world.token}"})
    assert response.status_code == 400
    assert fingerprint(world) == before


@pytest.mark.parametrize("endpoint, method", engine_rest_write_routes())
def test_engine_rest_writes_take_no_session_so_there_is_nothing_to_forge(world, endpoint, method):
    path = EXPECTED[(endpoint, method)][0].format(**world.ids)
    before = fingerprint(world)
    for role in ("admin", "office_leader"):
        for csrf in (None, world.csrf[role]):
            response = _send(world, role, method, path, csrf=csrf)
            assert response.status_code == 401 and response.is_json, (role, csrf, response.status_code)
            assert response.headers.getlist("WWW-Authenticate")
    assert fingerprint(world) == before
