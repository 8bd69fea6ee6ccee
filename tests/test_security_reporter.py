"""保护举报人: the reporter's name and phone never reach the logs, the JSON API or the Excel
exports, nor any page of a role that may not see them; the full identity is shown only to
supervisors and office leaders, for a reason, and every such view is audited.

(tests/test_web_cases.py shows the masked case page and one refused and one audited view;
this module goes through every role and every other place the identity could leak.)
"""
import io
import json
import logging

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.security_support import ROLES, demo_world

PAGE_REPORTER = ("司马保密", "13711112222", "simabaomi@example.com")
API_REPORTER = ("欧阳隐名", "15922223333", "wx-ouyang-yinming")
SIGNED_IN = [role for role in ROLES if role not in ("anonymous", "token")]
MAY_SEE = {"market_supervisor", "office_leader"}


@pytest.fixture(scope="module")
def world(database_url, db_engine, tmp_path_factory):
    """The demo world with the production log set-up (one JSON object per line); the root
    logger's handlers are restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        with demo_world(database_url, db_engine, tmp_path_factory.mktemp("uploads"),
                        DUBAN_JSON_LOGS=True, DUBAN_LOG_LEVEL="INFO") as built:
            from domain.api_tokens import create_token
            from web.extensions import db
            with built.app.app_context():
                _, built.ids["office_token"] = create_token(db.session, "office.officer", "leads:write,leads:read",
                                                            "security-test")
                db.session.commit()
            yield built
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def secrets(world) -> list[str]:
    """Every reporter's full name, phone and contact on record (names that are also a user's
    display name are left out: those appear on pages as the user)."""
    from domain.models import Reporter, User
    from web.extensions import db
    with world.app.app_context():
        users = set(db.session.scalars(select(User.display_name)))
        found = set()
        for reporter in db.session.scalars(select(Reporter)):
            found.update(value for value in (reporter.phone, reporter.contact) if value)
            if reporter.name and reporter.name not in users:
                found.add(reporter.name)
        db.session.rollback()
    assert len(found) >= 15
    return sorted(found)


def leaked(text: str, world) -> list[str]:
    return [secret for secret in secrets(world) if secret in text]


def _register_on_the_page(world, reporter, phone=None):
    client = world.client("office_officer")
    name, default_phone, contact = reporter
    return client.post("/leads/new", data={
        "csrf_token": world.csrf["office_officer"], "channel": "hotline_12345",
        "received_at": "2026-03-17T09:30", "summary": "来电反映某养生馆以体验为名向老人推销高价保健品，涉嫌虚假宣传。",
        "subject_mode": "new", "subject_name": "新塘某某养生体验馆", "sector": "food_health_products",
        "reporter_name": name, "reporter_phone": phone or default_phone, "reporter_contact": contact})


def _push_through_the_api(world, reporter, phone=None, ref="SEC-0001"):
    name, default_phone, contact = reporter
    return world.client("anonymous").post("/api/v1/leads", headers={
        "Authorization": f"Bearer {world.ids['office_token']}"}, json={
        "channel": "platform_12337", "external_ref": ref, "received_at": "2026-03-17T08:00:00+08:00",
        "summary": "网络平台举报：某公司以养老项目为名吸收老年人资金，承诺高额返利。", "sector": "illegal_fundraising",
        "subject_name": "某某养老投资咨询有限公司",
        "reporter": {"name": name, "phone": phone or default_phone, "contact": contact}})


def _lead_of(world, phone):
    from domain.models import Lead, Reporter
    from web.extensions import db
    with world.app.app_context():
        for reporter in db.session.scalars(select(Reporter)):
            if reporter.phone == phone:
                lead = db.session.get(Lead, reporter.lead_id)
                found = {"lead": lead.id, "instance": lead.instance_id}
                db.session.rollback()
                return found
    raise AssertionError(f"no lead with reporter phone {phone}")


def test_no_reporter_identity_reaches_the_logs(world):
    """Registering (page and API, good and bad input), revealing, exporting: the JSON log lines,
    down to DEBUG and with SQL logging switched on, never carry a name or phone."""
    from web.logs import JsonFormatter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root, sql = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    levels = root.level, sql.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sql.setLevel(logging.INFO)  # as someone chasing a problem might: statements and their parameters
    try:
        assert _register_on_the_page(world, PAGE_REPORTER, phone="12345").status_code == 422
        assert _register_on_the_page(world, PAGE_REPORTER).status_code == 302
        assert _push_through_the_api(world, API_REPORTER, phone="abc", ref="SEC-BAD").status_code == 422
        assert _push_through_the_api(world, API_REPORTER).status_code == 201
        leader = world.client("office_leader")
        for lead in (world.ids["lead"], _lead_of(world, PAGE_REPORTER[1])["lead"]):
            shown = leader.post(f"/leads/{lead}/reporter", data={"csrf_token": world.csrf["office_leader"],
                                                                 "reason": "回访核实"})
            assert shown.status_code == 200
        assert leader.get("/dashboard/ledger.xlsx").status_code == 200
        assert leader.get("/dashboard/reports.xlsx").status_code == 200
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        sql.setLevel(levels[1])
    text = stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert any(line["logger"].startswith("sqlalchemy") for line in lines)  # the capture saw the requests
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)
    assert leaked(text, world) == []
    assert PAGE_REPORTER[0] not in text and API_REPORTER[1] not in text


def test_the_api_never_returns_an_identity_to_any_role(world):
    """Every lead, instance (with its audit events, including `reporter.viewed`), task and figure."""
    from domain.models import Lead
    from web.extensions import db
    with world.app.app_context():
        leads = db.session.execute(select(Lead.id, Lead.instance_id)).all()
        db.session.rollback()
    token = {"Authorization": f"Bearer {world.ids['office_token']}"}
    callers = [(role, {}) for role in SIGNED_IN] + [("token", {}), ("anonymous", token)]
    for role, headers in callers:
        client = world.client(role)

        def body(path):  # decoded: the JSON may escape Chinese as \uXXXX
            return json.dumps(client.get(path, headers=headers).get_json(), ensure_ascii=False)

        listing = client.get("/api/v1/leads?per_page=100", headers=headers)
        assert listing.status_code == 200 and (listing.json["items"] or role.startswith("police"))
        assert all(item["reporter"] is None or item["reporter"]["masked"] is True
                   for item in listing.json["items"])
        bodies = [body("/api/v1/leads?per_page=100")]
        for lead_id, instance_id in leads:
            bodies.append(body(f"/api/v1/leads/{lead_id}"))
            if instance_id:
                bodies.append(body(f"/api/v1/instances/{instance_id}"))
        for path in ("/api/v1/tasks?per_page=100", f"/api/v1/tasks/{world.ids['task']}", "/api/v1/statistics"):
            bodies.append(body(path))
        assert leaked("\n".join(bodies), world) == [], role


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)


@pytest.mark.parametrize("role", ["market_supervisor", "police_supervisor", "office_leader", "admin"])
def test_the_excel_exports_carry_no_identity(world, role):
    client = world.client(role)
    march = "2026-03"
    for path in ("/dashboard/ledger.xlsx", f"/dashboard/reports.xlsx?month={march}",
                 "/dashboard/ledger.xlsx?unit=market", f"/dashboard/reports.xlsx?month={march}&unit=market"):
        response = client.get(path)
        if role == "police_supervisor" and "unit=market" in path:
            assert response.status_code == 403
            continue
        assert response.status_code == 200, path
        text = _xlsx_text(response.data)
        assert text.strip(), path
        assert leaked(text, world) == [], (role, path)


def _pages(world):
    ids = world.ids
    page_lead = _lead_of(world, PAGE_REPORTER[1])
    return [f"/leads/{ids['lead']}", f"/leads/{page_lead['lead']}", "/leads", "/leads?status=open&page=2",
            f"/subjects/{ids['subject']}", f"/tasks/{ids['task']}", "/inbox/", "/inbox/done", "/notifications/",
            "/supervise/escalations", f"/supervise/tasks/{ids['task']}", "/supervise/units/market",
            "/dashboard/", "/dashboard/list?figure=received_channel", "/dashboard/reports",
            f"/admin/instances/{ids['instance']}", f"/admin/instances/{page_lead['instance']}",
            "/admin/instances", f"/instances/{page_lead['instance']}/markers.json", "/about"]


@pytest.mark.parametrize("role", SIGNED_IN)
def test_pages_show_the_identity_masked_to_every_role(world, role):
    """Without the audited reveal, nobody's page shows a full name or phone (the masked form does)."""
    client = world.client(role)
    seen = 0
    for path in _pages(world):
        response = client.get(path)
        if response.status_code == 200:
            seen += 1
            text = json.dumps(response.get_json(), ensure_ascii=False) if response.is_json else response.text
            assert leaked(text, world) == [], (role, path)
    assert seen >= 4
    lead = client.get(f"/leads/{world.ids['lead']}")
    if lead.status_code == 200:
        assert "张*婆" in lead.text and "139****1234" in lead.text
        assert lead.headers["Cache-Control"] == "no-store"


REVEAL = {"anonymous": "login", "market_officer": 403, "police_officer": 404, "market_supervisor": 200,
          "police_supervisor": 404, "office_officer": 403, "office_leader": 200, "admin": 403, "token": "login"}


def _views(world):
    from engine.store.models import AuditEvent
    from web.extensions import db
    with world.app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reporter.viewed")
                                  .order_by(AuditEvent.id)).all()
        db.session.rollback()
        return [(row.actor, row.reason, (row.data or {}).get("lead_id"), row.instance_id) for row in rows]


@pytest.mark.parametrize("role", ROLES)
def test_the_full_identity_only_for_supervisors_and_leaders_and_each_view_is_audited(world, role):
    client = world.client(role)
    if role in ("anonymous", "token"):
        from tests.security_support import form_token
        world.csrf[role] = form_token(client.get("/login").text)
    before = _views(world)
    reason = f"核实举报内容（{role}）"
    response = client.post(f"/leads/{world.ids['lead']}/reporter",
                           data={"csrf_token": world.csrf[role], "reason": reason})
    outcome = "login" if response.status_code == 302 and "/login" in response.headers["Location"] \
        else response.status_code
    assert outcome == REVEAL[role]
    after = _views(world)
    name, phone = world.ids["reporter_name"], world.ids["reporter_phone"]
    if outcome == 200:
        assert name in response.text and phone in response.text and 'id="reporter-viewed"' in response.text
        assert response.headers["Cache-Control"] == "no-store"
        username = {"market_supervisor": "market.supervisor", "office_leader": "office.leader"}[role]
        assert after[len(before):] == [(username, reason, world.ids["lead"], after[-1][3])]
        # The next visit is masked again: a view is one audited answer, not a state of the session.
        again = client.get(f"/leads/{world.ids['lead']}")
        assert name not in again.text and phone not in again.text
        # The case page's timeline names who looked (not what they saw).
        assert "查看举报人身份" in again.text
    else:
        assert after == before
        assert name not in response.text and phone not in response.text
    assert (outcome == 200) == (role in MAY_SEE)


def test_a_reason_is_required_and_an_empty_one_is_not_audited(world):
    client = world.client("market_supervisor")
    before = _views(world)
    response = client.post(f"/leads/{world.ids['lead']}/reporter",
                           data={"csrf_token": world.csrf["market_supervisor"], "reason": "   "})
    assert response.status_code == 422 and world.ids["reporter_phone"] not in response.text
    assert _views(world) == before
