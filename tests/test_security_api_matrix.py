"""The JSON API's authorization matrix: every API operation × every role, against the expected status.

The operations are read from `app.url_map` (every route under /api/ and /engine-rest/); one without
a row in EXPECTED fails `test_every_api_operation_has_a_row`. The API applies the pages' rules
(tests/test_security_authz_matrix.py): registering a lead is for the special office and
administrators, as /leads/new; the market unit's records are 404 for another unit; the
statistics are for those who may open the dashboard.

Cells:
    200, 401, 403, 404   the status code
    OK                   allowed; a state-changing request is not sent (it would change the shared
                         demo data). Every refused one IS sent, with a valid body, and must change nothing.
    PASSES               allowed: sent with an invalid body, it gets past every check of the caller's
                         rights and is refused for the body alone (422), changing nothing.

Camunda 7's REST API (/engine-rest) takes API tokens only, with their own scopes (external-tasks,
messages; instances:write to start; definitions:read for decisions) and, but for decisions, users
who oversee every unit: every session is 401, and neither token here holds those scopes (403).
tests/test_engine_rest_external_tasks.py and tests/test_engine_rest_decisions.py have the tokens that may.

Roles: those of tests/security_support.py (USERS; "token" is market.officer's API token with
leads:read, tasks:read, tasks:write, instances:read, units:read) and "office_token": an API
token of office.officer (who may do most things) limited to leads:read.
"""
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import dmn_builder
from tests.conftest import login
from tests.security_support import PROBE_DECISION, ROLES, fingerprint, world  # noqa: F401 (fixture)

OK, PASSES = "ok", "passes"
ALL_ROLES = ROLES + ("office_token",)
OFFICE_TOKEN_SCOPES = "leads:read"


def cells(default, **overrides):
    row = {role: default for role in ALL_ROLES}
    row.update(overrides)
    return row


def write(allowed, refused=403, allowed_cell=OK, **special):
    """A state-changing operation: 401 without credentials, `allowed` roles pass, the rest `refused`."""
    row = cells(refused, anonymous=401)
    row.update({role: allowed_cell for role in allowed})
    row.update(special)
    return row


PUBLIC = cells(200)
READ = cells(200, anonymous=401)  # every signed-in user and both tokens (they hold the scope)
READ_NO_TOKEN_SCOPE = {**READ, "token": 403, "office_token": 403}
OTHER_UNIT = {"police_officer": 404, "police_supervisor": 404}
MARKET_RECORD = {**READ, **OTHER_UNIT}  # a record of the market unit: another unit's users get 404
SPECIAL_OFFICE = ("office_officer", "office_leader", "admin")
SUPERVISING = ("market_supervisor", "office_leader", "admin")
DASHBOARD = cells(403, anonymous=401, market_supervisor=200, police_supervisor=200, office_leader=200, admin=200)
ADMIN_ONLY = cells(403, anonymous=401, admin=200)
ENGINE_REST = cells(401, token=403, office_token=403)
API_PREFIXES = ("/api/", "/engine-rest/")

G, P, D, U = "GET", "POST", "DELETE", "PUT"
# (endpoint, method) -> (path, expected by role). Paths use the world's ids: {task}, {lead} ...
EXPECTED = {
    ("api.index", G): ("/api/v1/", PUBLIC),
    ("api.docs", G): ("/api/v1/docs", PUBLIC),
    ("api-docs.openapi_json", G): ("/api/v1/openapi.json", PUBLIC),
    # -- leads: read as /leads and /leads/<id>; registered as /leads/new --------------------------
    ("api-leads.list_leads", G): ("/api/v1/leads", READ),
    ("api-leads.get_lead", G): ("/api/v1/leads/{lead}", MARKET_RECORD),
    ("api-leads.lead_steps", G): ("/api/v1/leads/{lead}/steps", MARKET_RECORD),
    ("api-leads.lead_documents", G): ("/api/v1/leads/{lead}/documents", MARKET_RECORD),
    # market.officer's token lacks leads:write (and the role); office.officer's token lacks the scope.
    ("api-leads.create_lead", P): ("/api/v1/leads", write(SPECIAL_OFFICE, allowed_cell=PASSES)),
    # -- tasks: read as /tasks/<id>; claimed and released as in the inbox; completed as on the page ----
    ("api-tasks.list_tasks", G): ("/api/v1/tasks", {**READ, "office_token": 403}),
    ("api-tasks.get_task", G): ("/api/v1/tasks/{task}", {**MARKET_RECORD, "office_token": 403}),
    ("api-tasks.claim_task", P): ("/api/v1/tasks/{task}/claim",
                                  write(("market_officer", "market_supervisor", "token"), **OTHER_UNIT)),
    ("api-tasks.unclaim_task", P): ("/api/v1/tasks/{task}/unclaim",
                                    write(("market_officer", "token") + SUPERVISING, **OTHER_UNIT)),
    ("api-tasks.complete_task", P): ("/api/v1/tasks/{task}/complete",
                                     write(("market_officer", "market_supervisor", "token"), **OTHER_UNIT)),
    # -- instances: read as their diagram on the case pages; started only by those who see every unit --
    ("api-instances.get_instance", G): ("/api/v1/instances/{instance}", {**MARKET_RECORD, "office_token": 403}),
    ("api-instances.start_instance", P): ("/api/v1/instances",
                                          write(("office_leader", "admin"), allowed_cell=PASSES)),
    # -- messages and signals: users who oversee every unit (a token needs the messages scope) ----------
    ("api-messages.correlate_message", P): ("/api/v1/messages", write(SPECIAL_OFFICE, allowed_cell=PASSES)),
    ("api-messages.broadcast_signal", P): ("/api/v1/signals", write(SPECIAL_OFFICE, allowed_cell=PASSES)),
    # -- definitions: the process catalogue (no unit's records); deployed by administrators ----------
    ("api-definitions.list_definitions", G): ("/api/v1/definitions", READ_NO_TOKEN_SCOPE),
    ("api-definitions.get_definition", G): ("/api/v1/definitions/{definition}", READ_NO_TOKEN_SCOPE),
    ("api-definitions.deploy_definition", P): ("/api/v1/definitions", write(("admin",), allowed_cell=PASSES)),
    # -- decisions: the decision tables (policy, no unit's records); evaluating one stores nothing ------
    ("api-decisions.list_decisions", G): ("/api/v1/decisions", READ_NO_TOKEN_SCOPE),
    ("api-decisions.get_decision", G): ("/api/v1/decisions/{decision}", READ_NO_TOKEN_SCOPE),
    ("api-decisions.get_decision_xml", G): ("/api/v1/decisions/{decision}/xml", READ_NO_TOKEN_SCOPE),
    ("api-decisions.deploy_decision", P): ("/api/v1/decisions", write(("admin",), allowed_cell=PASSES)),
    ("api-decisions.evaluate_decision", P): (f"/api/v1/decisions/key/{PROBE_DECISION}/evaluate",
                                             READ_NO_TOKEN_SCOPE),
    # -- reference data and statistics (as the dashboard: supervisors, office leaders, administrators) --
    ("api-units.list_units", G): ("/api/v1/units", {**READ, "office_token": 403}),
    ("api-statistics.statistics", G): ("/api/v1/statistics", DASHBOARD),
    # -- API tokens: administrators ---------------------------------------------------------------
    ("api-tokens.list_api_tokens", G): ("/api/v1/tokens", ADMIN_ONLY),
    ("api-tokens.create_api_token", P): ("/api/v1/tokens", write(("admin",), allowed_cell=PASSES)),
    ("api-tokens.revoke_api_token", D): ("/api/v1/tokens/{token}", write(("admin",))),
    # -- Camunda 7's REST API for workers: tokens with its scopes only ---------------------------------
    ("engine-rest.fetch_and_lock", P): ("/engine-rest/external-task/fetchAndLock", ENGINE_REST),
    ("engine-rest.list_tasks", G): ("/engine-rest/external-task", ENGINE_REST),
    ("engine-rest.count_tasks", G): ("/engine-rest/external-task/count", ENGINE_REST),
    ("engine-rest.get_task", G): ("/engine-rest/external-task/{task}", ENGINE_REST),
    ("engine-rest.complete", P): ("/engine-rest/external-task/{task}/complete", ENGINE_REST),
    ("engine-rest.failure", P): ("/engine-rest/external-task/{task}/failure", ENGINE_REST),
    ("engine-rest.bpmn_error", P): ("/engine-rest/external-task/{task}/bpmnError", ENGINE_REST),
    ("engine-rest.extend_lock", P): ("/engine-rest/external-task/{task}/extendLock", ENGINE_REST),
    ("engine-rest.unlock", P): ("/engine-rest/external-task/{task}/unlock", ENGINE_REST),
    ("engine-rest.set_retries", U): ("/engine-rest/external-task/{task}/retries", ENGINE_REST),
    ("engine-rest.get_process_instance", G): ("/engine-rest/process-instance/{instance}", ENGINE_REST),
    ("engine-rest.start_by_key", P): ("/engine-rest/process-definition/key/lead_handling/start", ENGINE_REST),
    ("engine-rest.correlate", P): ("/engine-rest/message", ENGINE_REST),
    ("engine-rest.signal", P): ("/engine-rest/signal", ENGINE_REST),
    # decisions: a token with definitions:read (neither token here holds it)
    ("engine-rest.list_decision_definitions", G): ("/engine-rest/decision-definition", ENGINE_REST),
    ("engine-rest.count_decision_definitions", G): ("/engine-rest/decision-definition/count", ENGINE_REST),
    ("engine-rest.get_decision_definition", G): ("/engine-rest/decision-definition/{decision}", ENGINE_REST),
    ("engine-rest.get_decision_definition_by_key", G): (f"/engine-rest/decision-definition/key/{PROBE_DECISION}",
                                                        ENGINE_REST),
    ("engine-rest.get_decision_xml", G): ("/engine-rest/decision-definition/{decision}/xml", ENGINE_REST),
    ("engine-rest.get_decision_xml_by_key", G): (f"/engine-rest/decision-definition/key/{PROBE_DECISION}/xml",
                                                 ENGINE_REST),
    ("engine-rest.evaluate_decision", P): ("/engine-rest/decision-definition/{decision}/evaluate", ENGINE_REST),
    ("engine-rest.evaluate_decision_by_key", P): (
        f"/engine-rest/decision-definition/key/{PROBE_DECISION}/evaluate", ENGINE_REST),
}

VALID_BODIES = {
    "/api/v1/leads": {"channel": "hotline_12345", "summary": "安全测试：不应被登记的线索。",
                      "received_at": "2026-03-17T09:00:00+08:00", "sector": "illegal_fundraising",
                      "subject_id": "{subject}", "responsible_unit": "police"},
    "/api/v1/instances": {"process_id": "lead_handling", "data": {}},
    "/api/v1/messages": {"name": "security_probe"},
    "/api/v1/signals": {"name": "security_probe"},
    "/api/v1/tokens": {"user": "police.officer", "scopes": ["leads:read"]},
    "/engine-rest/external-task/fetchAndLock": {"workerId": "security-probe", "maxTasks": 1,
                                                "topics": [{"topicName": "probe", "lockDuration": 1000}]},
    "/engine-rest/process-definition/key/lead_handling/start": {"variables": {}, "businessKey": "probe"},
    "/engine-rest/message": {"messageName": "probe", "all": True},
    "/engine-rest/signal": {"name": "probe"},
    "/engine-rest/external-task/{task}/complete": {"workerId": "security-probe"},
    "/engine-rest/external-task/{task}/failure": {"workerId": "security-probe", "retries": 0},
    "/engine-rest/external-task/{task}/bpmnError": {"workerId": "security-probe", "errorCode": "PROBE"},
    "/engine-rest/external-task/{task}/extendLock": {"workerId": "security-probe", "newDuration": 1000},
    "/engine-rest/external-task/{task}/retries": {"retries": 1},
    f"/api/v1/decisions/key/{PROBE_DECISION}/evaluate": {"variables": {"amount": 5}},
    "/engine-rest/decision-definition/{decision}/evaluate": {"variables": {"amount": {"value": 5, "type": "Long"}}},
    f"/engine-rest/decision-definition/key/{PROBE_DECISION}/evaluate": {
        "variables": {"amount": {"value": 5, "type": "Long"}}},
}
# Bodies that no caller may get through validation: an allowed role gets 422 and nothing changes.
INVALID_BODIES = {"/api/v1/leads": {}, "/api/v1/instances": {"data": []}, "/api/v1/tokens": {"user": "x"},
                  "/api/v1/messages": {"name": ""}, "/api/v1/signals": {}}


@pytest.fixture(scope="module")
def api_world(world):
    """The security world plus office.officer's narrow token and a signed-in health.officer."""
    from domain.api_tokens import create_token
    from web.extensions import db
    with world.app.app_context():
        _, secret = create_token(db.session, "office.officer", OFFICE_TOKEN_SCOPES, "api-matrix")
        db.session.commit()
    office_token = world.app.test_client()
    office_token.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    world.clients["office_token"] = office_token
    world.csrf["office_token"] = ""
    health = world.app.test_client()
    login(health, "health.officer")
    world.clients["health_officer"] = health
    world.csrf["health_officer"] = _csrf(health)
    return world


def _csrf(client):
    from tests.security_support import form_token
    return form_token(client.get("/inbox/").text)


def _api_operations(app):
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIXES)
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_api_operation_has_a_row(api_world):
    operations = _api_operations(api_world.app)
    assert sorted(operations - set(EXPECTED)) == [], "API operations without a row in the matrix"
    assert sorted(set(EXPECTED) - operations) == [], "rows for API operations that no longer exist"
    for key, (_path, expected) in EXPECTED.items():
        assert set(expected) == set(ALL_ROLES), key
        if key[1] == G:
            assert {OK, PASSES}.isdisjoint(expected.values()), f"{key}: a read is sent for every role"


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _send(world, role, method, path, valid=True, template=None):
    client = world.client(role)
    headers = {"X-CSRFToken": world.csrf[role]} if world.csrf.get(role) else {}
    if method == G:
        return client.get(path)
    if path == "/api/v1/definitions":
        data = {"file": (io.BytesIO(b"<bpmn:definitions/>"), "probe.bpmn")} if valid else {}
        return client.open(path, method=method, headers=headers, content_type="multipart/form-data", data=data)
    if path == "/api/v1/decisions":
        data = {"file": (io.BytesIO(dmn_builder.table(key="refused_probe")), "probe.dmn")} if valid else {}
        return client.open(path, method=method, headers=headers, content_type="multipart/form-data", data=data)
    bodies = VALID_BODIES if valid else INVALID_BODIES
    body = bodies.get(path, bodies.get(template, {"data": {}} if path.endswith("/complete") else None))
    return client.open(path, method=method, headers=headers, json=_fill(body, world.ids))


@pytest.mark.parametrize("endpoint, method", sorted(EXPECTED))
def test_api_operation_answers_each_role_as_expected(api_world, endpoint, method):
    template, expected = EXPECTED[(endpoint, method)]
    path = template.format(**api_world.ids)
    before = fingerprint(api_world) if method != G else None
    wrong = {}
    for role in ALL_ROLES:
        want = expected[role]
        if want == OK:
            continue  # allowed, and not sent: it would change the shared data
        response = _send(api_world, role, method, path, valid=want != PASSES, template=template)
        got = response.status_code
        if want == PASSES:
            want = 422
        if got != want:
            wrong[role] = f"expected {want}, got {got}"
        elif got >= 400 and not response.is_json:
            wrong[role] = f"{got} is not JSON"
    assert wrong == {}, f"{method} {path}"
    if before is not None:
        assert fingerprint(api_world) == before, f"a refused {method} {path} changed the data"


# -- the attack of issue 14, and ids the caller may not see ------------------------------------------

def _lead_body(world, **fields):
    from web.extensions import db
    from domain.models import Lead
    from engine import clock
    with world.app.app_context():
        sector = db.session.get(Lead, world.ids["lead"]).sector
        received = (clock.now() - timedelta(hours=1)).isoformat()
        db.session.rollback()
    return {"channel": "hotline_12345", "summary": "举报该机构以“养老项目”名义推销高息理财。",
            "received_at": received, "sector": sector, "subject_id": world.ids["subject"], **fields}


def test_an_officer_cannot_register_a_lead_to_see_another_units_subject(api_world):
    """Issue 14: health.officer linked a lead to market's subject through the API, then read its page."""
    health = api_world.client("health_officer")
    subject_page = f"/subjects/{api_world.ids['subject']}"
    assert health.get(subject_page).status_code == 404
    before = fingerprint(api_world)
    response = health.post("/api/v1/leads", json=_lead_body(api_world, responsible_unit="health"),
                           headers={"X-CSRFToken": api_world.csrf["health_officer"]})
    assert response.status_code == 403, response.get_json()
    assert set(response.get_json()) <= {"code", "status", "message"}  # no lead, no duplicate's id
    assert "Location" not in response.headers
    assert fingerprint(api_world) == before
    assert health.get(subject_page).status_code == 404
    assert health.get(f"/api/v1/leads/{api_world.ids['lead']}").status_code == 404


def test_an_officers_token_with_leads_write_cannot_register_either(api_world):
    from domain.api_tokens import create_token
    from web.extensions import db
    with api_world.app.app_context():
        _, secret = create_token(db.session, "health.officer", "leads:write,leads:read", "attack")
        db.session.commit()
    client = api_world.app.test_client()
    response = client.post("/api/v1/leads", json=_lead_body(api_world, responsible_unit="health"),
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403 and "Location" not in response.headers


def _open_market_lead(world):
    """An open lead of the market unit on a subject: (lead id, subject id, sector)."""
    from domain.labels import OPEN_LEAD_STATUSES
    from domain.models import Lead
    from web.extensions import db
    with world.app.app_context():
        lead = db.session.scalars(select(Lead).where(
            Lead.responsible_unit == "market", Lead.status.in_(OPEN_LEAD_STATUSES), Lead.subject_id.is_not(None),
            Lead.duplicate_of_id.is_(None)).order_by(Lead.id)).first()
        found = lead.id, lead.subject_id, lead.sector
        db.session.rollback()
    return found


def test_a_lead_names_no_duplicate_and_its_case_no_task_the_reader_may_not_see(api_world):
    """The special office registers a lead on market's subject for the police: police reads it
    without learning the id of market's lead (its likely duplicate) or of the office's triage task."""
    market_lead, subject, sector = _open_market_lead(api_world)
    office = api_world.client("office_officer")
    created = office.post("/api/v1/leads", headers={"X-CSRFToken": api_world.csrf["office_officer"]},
                          json=_lead_body(api_world, responsible_unit="police", subject_id=subject, sector=sector))
    assert created.status_code == 201, created.get_json()
    lead = created.get_json()
    assert lead["duplicate_of_id"] == market_lead  # the special office sees every unit

    police = api_world.client("police_officer")
    read = police.get(f"/api/v1/leads/{lead['id']}")
    assert read.status_code == 200
    assert read.get_json()["duplicate_of_id"] is None
    listed = police.get("/api/v1/leads?per_page=100").get_json()["items"]
    assert [item["duplicate_of_id"] for item in listed if item["id"] == lead["id"]] == [None]
    assert market_lead not in {item["id"] for item in listed}

    instance = police.get(f"/api/v1/instances/{lead['instance_id']}")
    assert instance.status_code == 200
    body = instance.get_json()
    assert body["tasks"] == []  # the triage task is the special office's
    triage = office.get(f"/api/v1/instances/{lead['instance_id']}").get_json()["tasks"]
    assert [task["element_id"] for task in triage] == ["triage_lead"]
    hidden = {str(market_lead), str(triage[0]["id"])}
    created_task = [event for event in body["events"] if event["action"] == "task.created"]
    assert created_task and created_task[0]["element_id"] == "triage_lead"
    for event in body["events"]:
        assert event["task_id"] is None or str(event["task_id"]) not in hidden
        assert not hidden & set(_numbers(event["data"])), f"{event['action']} names market's lead or the task"
    assert police.get(f"/api/v1/tasks/{triage[0]['id']}").status_code == 404


def _numbers(value):
    """Every integer-like value inside a JSON document."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, int) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, str) and value.isdigit():
        yield value


def test_registering_never_links_a_subject_the_registrar_may_not_see(api_world):
    """The rule beneath the role check (domain.leads.register_lead's `may_link_subject`)."""
    from domain.errors import ValidationFailed
    from domain.leads import register_lead
    from domain.models import Subject
    from web.extensions import db
    body = _lead_body(api_world)
    hidden = lambda subject: False  # noqa: E731 (a registrar who may see no subject)
    with api_world.app.app_context():
        subject = db.session.get(Subject, api_world.ids["subject"])
        try:
            with pytest.raises(ValidationFailed) as refused:
                register_lead(db.session, body, "health.officer", "en", may_link_subject=hidden)
            assert set(refused.value.messages) == {"subject_id"}
            by_name = {key: value for key, value in body.items() if key != "subject_id"}
            lead = register_lead(db.session, {**by_name, "subject_name": subject.name}, "health.officer", "en",
                                 may_link_subject=hidden)
            assert lead.subject_id is None and lead.subject_name == subject.name
            if subject.credit_code:
                with pytest.raises(ValidationFailed) as taken:
                    register_lead(db.session, {**by_name, "subject_credit_code": subject.credit_code,
                                               "subject_name": "另一家"}, "health.officer", "en",
                                  may_link_subject=hidden)
                assert set(taken.value.messages) == {"subject_credit_code"}
        finally:
            db.session.rollback()
        assert db.session.scalars(select(Subject).where(Subject.id == api_world.ids["subject"])).one()
