"""The REST API under /api/v1: every endpoint with good and bad input, and each way in
(token, session) with its failures."""
import hashlib
import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.api_tokens import SCOPES, ApiToken, create_token
from domain.models import Lead, User
from engine.store.models import AuditEvent, HumanTask, ProcessDefinition, ProcessInstance
from tests import bpmn_builder as b
from tests.conftest import csrf_token, login

ALL = ",".join(SCOPES)


def make_token(app, username, scopes=ALL, **kwargs):
    from web.extensions import db
    with app.app_context():
        _, secret = create_token(db.session, username, scopes, "test", **kwargs)
        db.session.commit()
    return secret


def auth(secret):
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api(client, demo):
    """A client and a token factory: api.get(path, user=...) etc."""

    class Api:
        tokens = {}

        def token(self, username, scopes=ALL):
            key = (username, scopes)
            if key not in self.tokens:
                self.tokens[key] = make_token(demo, username, scopes)
            return self.tokens[key]

        def call(self, method, path, user="office.officer", scopes=ALL, **kwargs):
            headers = {**auth(self.token(user, scopes)), **kwargs.pop("headers", {})}
            return client.open(path, method=method, headers=headers, **kwargs)

        def get(self, path, **kwargs):
            return self.call("GET", path, **kwargs)

        def post(self, path, **kwargs):
            return self.call("POST", path, **kwargs)

        def delete(self, path, **kwargs):
            return self.call("DELETE", path, **kwargs)

    return Api()


def lead_body(clock, **overrides):
    body = {
        "channel": "hotline_12345", "external_ref": "12345-2026-0001",
        "received_at": (clock.now() - timedelta(hours=2)).isoformat(),
        "summary": "来电人称其母亲在“养生讲座”上被诱导购买高价保健品。",
        "subject_name": "福寿康养生馆", "sector": "food_health_products",
        "reporter": {"name": "陈女士", "phone": "13859961234"},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def overdue_count(session_factory, clock, unit=None):
    """Open tasks past their due time now (the demo has late work), of one unit or all."""
    with session_factory() as s:
        query = select(HumanTask.id).where(HumanTask.status == "open", HumanTask.due_at <= clock.now())
        if unit is not None:
            query = query.where(HumanTask.candidate_groups == unit)
        return set(s.scalars(query))


def lead_count(session_factory, **where):
    with session_factory() as s:
        query = select(func.count()).select_from(Lead)
        for key, value in where.items():
            query = query.where(getattr(Lead, key) == value)
        return s.scalar(query)


def open_task(session_factory, group, element_id=None):
    with session_factory() as s:
        query = select(HumanTask).where(HumanTask.status == "open", HumanTask.candidate_groups == group)
        if element_id:
            query = query.where(HumanTask.element_id == element_id)
        return s.scalars(query.order_by(HumanTask.id)).first()


# -- authentication ---------------------------------------------------------------

def test_no_credentials_is_401_json_with_a_bearer_challenge(client):
    response = client.get("/api/v1/leads")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["code"] == 401 and "Bearer" in response.get_json()["message"]


@pytest.mark.parametrize("header", ["Bearer dbn_not-a-token", "Bearer ", "Basic b2ZmaWNlOnB3", "dbn_x",
                                    "Bearer \u4e2d"])
def test_a_bad_token_is_401(client, header):
    response = client.get("/api/v1/leads", headers={"Authorization": header})
    assert response.status_code == 401 and response.is_json


def test_a_revoked_token_is_401(demo, client):
    secret = make_token(demo, "office.officer")
    assert client.get("/api/v1/units", headers=auth(secret)).status_code == 200
    prefix = secret[:12]
    result = demo.test_cli_runner().invoke(args=["api-token", "revoke", prefix])
    assert result.exit_code == 0 and "revoked" in result.output
    assert client.get("/api/v1/units", headers=auth(secret)).status_code == 401


def test_an_expired_token_and_an_inactive_users_token_are_401(demo, client, clock, session_factory):
    expiring = make_token(demo, "office.officer", expires_at=clock.now() + timedelta(days=1))
    assert client.get("/api/v1/units", headers=auth(expiring)).status_code == 200
    clock.advance(timedelta(days=2))
    assert client.get("/api/v1/units", headers=auth(expiring)).status_code == 401
    secret = make_token(demo, "police.officer")
    with session_factory() as s:
        s.scalars(select(User).where(User.username == "police.officer")).one().active = False
        s.commit()
    assert client.get("/api/v1/units", headers=auth(secret)).status_code == 401


def test_a_missing_scope_is_403_before_the_body_is_read(api):
    response = api.post("/api/v1/leads", scopes="leads:read", json={"nonsense": True})
    assert response.status_code == 403 and "leads:write" in response.get_json()["message"]
    assert api.get("/api/v1/leads", scopes="leads:write").status_code == 403
    assert api.get("/api/v1/leads", scopes="leads:read").status_code == 200


def test_the_cli_prints_the_token_once_and_stores_only_its_hash(demo, client, session_factory):
    runner = demo.test_cli_runner()
    result = runner.invoke(args=["api-token", "create", "--user", "market.officer",
                                 "--scopes", "leads:write,tasks:read", "--name", "12345 热线"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("dbn_") and len(secret) > 40
    with session_factory() as s:
        row = s.scalars(select(ApiToken)).one()
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (row.token_hash, row.prefix, row.scopes, row.name)
        assert row.scope_set == {"leads:write", "tasks:read"} and row.user.username == "market.officer"
    assert client.get("/api/v1/tasks", headers=auth(secret)).status_code == 200
    assert client.get("/api/v1/units", headers=auth(secret)).status_code == 403
    listing = runner.invoke(args=["api-token", "list"])
    assert "market.officer" in listing.output and secret not in listing.output and "active" in listing.output
    bad = runner.invoke(args=["api-token", "create", "--user", "market.officer", "--scopes", "leads:everything"])
    assert bad.exit_code != 0 and "unknown scope" in bad.output
    bad = runner.invoke(args=["api-token", "create", "--user", "nobody", "--scopes", "leads:read"])
    assert bad.exit_code != 0 and "nobody" in bad.output
    assert runner.invoke(args=["api-token", "revoke", "999"]).exit_code != 0


def test_last_used_is_recorded(demo, client, session_factory):
    secret = make_token(demo, "office.officer")
    client.get("/api/v1/units", headers=auth(secret))
    with session_factory() as s:
        assert s.scalars(select(ApiToken)).one().last_used_at is not None


def test_the_session_works_for_reads_and_needs_csrf_for_writes(client, clock):
    login(client, "office.officer")
    assert client.get("/api/v1/units").status_code == 200
    response = client.post("/api/v1/leads", json=lead_body(clock))
    assert response.status_code == 400 and "CSRF" in response.get_json()["message"]
    response = client.post("/api/v1/leads", json=lead_body(clock), headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400
    response = client.post("/api/v1/leads", json=lead_body(clock), headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["created_by"] == "office.officer"


def test_an_authorization_header_wins_over_the_session(client):
    login(client, "office.officer")
    assert client.get("/api/v1/units", headers={"Authorization": "Bearer dbn_wrong"}).status_code == 401


def test_a_token_needs_no_csrf(api, clock):
    assert api.post("/api/v1/leads", json=lead_body(clock)).status_code == 201


# -- errors ---------------------------------------------------------------------------

def test_malformed_json_is_400_and_invalid_fields_are_422_by_field(api):
    response = api.post("/api/v1/leads", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.is_json
    response = api.post("/api/v1/leads", json={"channel": "carrier_pigeon", "sector": "elderly_projects",
                                               "surprise": 1})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {"channel", "received_at", "summary", "surprise"} <= set(errors)
    assert "sector" not in errors


def test_unknown_paths_and_wrong_methods_are_json(api):
    assert api.get("/api/v1/nothing-here").status_code == 404
    response = api.call("PUT", "/api/v1/leads")
    assert response.status_code == 405 and response.is_json and "POST" in response.headers["Allow"]
    assert api.get("/api/v1/leads/0").status_code == 404
    assert api.get(f"/api/v1/leads/{2**70}").status_code == 404


# -- leads ----------------------------------------------------------------------------

def test_pushing_a_lead_registers_it_and_starts_lead_handling(api, clock, session_factory):
    response = api.post("/api/v1/leads", user="office.officer", json=lead_body(clock))
    assert response.status_code == 201, response.get_json()
    lead = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/leads/{lead['id']}")
    assert lead["number"].startswith("XS-2026-") and lead["status"] == "registered"
    assert lead["reporter"]["masked"] is True and lead["reporter"]["phone"] != "13859961234"
    with session_factory() as s:
        instance = s.get(ProcessInstance, lead["instance_id"])
        assert instance.process_id == "lead_handling" and instance.business_key == lead["number"]
        assert instance.started_by == "office.officer"
        triage = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).one()
        assert triage.element_id == "triage_lead" and triage.status == "open"


def test_the_same_lead_pushed_twice_is_created_once(api, clock, session_factory):
    first = api.post("/api/v1/leads", json=lead_body(clock))
    second = api.post("/api/v1/leads", json=lead_body(clock, summary="重复推送"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert lead_count(session_factory, external_ref="12345-2026-0001") == 1
    other_channel = api.post("/api/v1/leads", json=lead_body(clock, channel="platform_12337"))
    assert other_channel.status_code == 201
    assert lead_count(session_factory, external_ref="12345-2026-0001") == 2


def test_a_push_racing_past_the_check_is_caught_by_the_unique_constraint(api, clock, session_factory, monkeypatch):
    assert api.post("/api/v1/leads", json=lead_body(clock)).status_code == 201
    # Both checks miss the first lead, as a simultaneous push would: the database refuses the second.
    import domain.leads
    monkeypatch.setattr(domain.leads, "lead_by_external_ref", lambda *args: None)
    import web.api.leads
    real = web.api.leads.lead_by_external_ref
    calls = []

    def first_miss(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(web.api.leads, "lead_by_external_ref", first_miss)
    second = api.post("/api/v1/leads", json=lead_body(clock))
    assert second.status_code == 200, second.get_json()
    assert lead_count(session_factory, external_ref="12345-2026-0001") == 1
    with session_factory() as s:  # the losing push left no process behind
        assert s.scalar(select(func.count()).select_from(ProcessInstance)
                        .where(ProcessInstance.business_key == second.get_json()["number"])) == 1


def test_concurrent_pushes_create_one_lead(demo, clock, session_factory):
    secret = make_token(demo, "office.officer")
    barrier = threading.Barrier(4)
    statuses = []

    def push():
        client = demo.test_client()
        barrier.wait()
        statuses.append(client.post("/api/v1/leads", json=lead_body(clock), headers=auth(secret)).status_code)

    threads = [threading.Thread(target=push) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 200, 201]
    assert lead_count(session_factory, external_ref="12345-2026-0001") == 1


def test_a_pushed_lead_is_validated_by_the_domain_rules(api, clock):
    future = api.post("/api/v1/leads", json=lead_body(clock, received_at=(clock.now() + timedelta(days=2)).isoformat()))
    assert future.status_code == 422 and "received_at" in future.get_json()["errors"]
    nobody = api.post("/api/v1/leads", json=lead_body(clock, reporter={"anonymous": False}))
    assert nobody.status_code == 422 and "reporter" in nobody.get_json()["errors"]
    english = api.post("/api/v1/leads", json=lead_body(clock, subject_id=99999, external_ref=None),
                       headers={"Accept-Language": "en"})
    assert english.status_code == 422 and "subject_id" in english.get_json()["errors"]
    nul = api.post("/api/v1/leads", json=lead_body(clock, summary="a\x00b"))
    assert nul.status_code == 422 and "summary" in nul.get_json()["errors"]
    too_long = api.post("/api/v1/leads", json=lead_body(clock, external_ref="x" * 101))
    assert too_long.status_code == 422 and "external_ref" in too_long.get_json()["errors"]


def test_an_existing_lead_of_another_unit_is_not_returned_to_a_pusher_who_cannot_see_it(api, clock):
    assert api.post("/api/v1/leads", user="office.officer", json=lead_body(clock)).status_code == 201
    response = api.post("/api/v1/leads", user="police.officer", json=lead_body(clock))
    assert response.status_code == 403 and "number" not in response.get_json()  # as on /leads/new


def test_listing_and_reading_leads_follow_the_units(api, clock, session_factory):
    everything = api.get("/api/v1/leads?per_page=100", user="office.officer").get_json()
    assert everything["total"] == lead_count(session_factory) and everything["total"] > 0
    police_lead = next(lead for lead in everything["items"] if lead["responsible_unit"] == "police")
    with session_factory() as s:
        s.execute(Lead.__table__.update().where(Lead.id == police_lead["id"]).values(responsible_unit="market"))
        s.commit()
    market = api.get("/api/v1/leads?per_page=100", user="market.officer").get_json()
    assert {lead["responsible_unit"] for lead in market["items"]} == {"market"}
    assert police_lead["id"] in {lead["id"] for lead in market["items"]}
    assert market["total"] == lead_count(session_factory, responsible_unit="market") > 1
    assert api.get("/api/v1/leads?unit=market", user="office.officer").get_json()["total"] == market["total"]
    own = api.post("/api/v1/leads", user="office.officer", json=lead_body(clock)).get_json()
    assert api.get(f"/api/v1/leads/{own['id']}", user="police.officer").status_code == 404  # not yet dispatched
    assert api.get(f"/api/v1/leads/{own['id']}", user="market.officer").status_code == 404
    assert api.get(f"/api/v1/leads/{own['id']}", user="office.leader").status_code == 200
    assert api.get("/api/v1/leads?external_ref=12345-2026-0001").get_json()["items"][0]["id"] == own["id"]
    page = api.get("/api/v1/leads?per_page=2&page=2").get_json()
    assert page["page"] == 2 and page["per_page"] == 2 and len(page["items"]) <= 2
    bad = api.get("/api/v1/leads?per_page=1000&page=0")
    assert bad.status_code == 422 and {"per_page", "page"} <= set(bad.get_json()["errors"])


# -- tasks ------------------------------------------------------------------------------

def test_my_tasks_are_my_units_tasks(api, session_factory, clock):
    tasks = api.get("/api/v1/tasks?per_page=100", user="market.officer").get_json()
    assert tasks["total"] > 0
    assert all("market" in t["candidate_groups"] or t["assignee"] == "market.officer" for t in tasks["items"])
    police = api.get("/api/v1/tasks?per_page=100", user="police.officer").get_json()
    assert not {t["id"] for t in police["items"]} & {t["id"] for t in tasks["items"]}
    assert api.get("/api/v1/tasks?mine=true", user="market.officer").get_json()["total"] == 0
    overdue = api.get("/api/v1/tasks?overdue=true&per_page=100", user="market.officer").get_json()
    assert {t["id"] for t in overdue["items"]} == overdue_count(session_factory, clock, "market") != set()


def test_reading_a_task_gives_its_form_and_another_units_task_is_404(api, session_factory):
    task = open_task(session_factory, "market")
    detail = api.get(f"/api/v1/tasks/{task.id}", user="market.officer").get_json()
    assert detail["id"] == task.id and detail["form"]["fields"]
    assert api.get(f"/api/v1/tasks/{task.id}", user="police.officer").status_code == 404
    assert api.get(f"/api/v1/tasks/{task.id}", user="market.supervisor").status_code == 200
    assert api.get(f"/api/v1/tasks/{task.id}", user="office.leader").status_code == 200
    assert api.post(f"/api/v1/tasks/{task.id}/claim", user="police.officer").status_code == 404
    assert api.post(f"/api/v1/tasks/{task.id}/complete", user="police.officer", json={"data": {}}).status_code == 404
    assert api.get("/api/v1/tasks/987654321").status_code == 404


def test_claim_conflicts_and_release(api, session_factory):
    task = open_task(session_factory, "market")
    # The special office's leader may see the task but is not one of its candidates.
    assert api.post(f"/api/v1/tasks/{task.id}/claim", user="office.leader").status_code == 403
    claimed = api.post(f"/api/v1/tasks/{task.id}/claim", user="market.officer")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "market.officer"
    assert api.get("/api/v1/tasks?mine=true", user="market.officer").get_json()["total"] == 1
    taken = api.post(f"/api/v1/tasks/{task.id}/claim", user="market.supervisor")
    assert taken.status_code == 409 and "market.officer" in taken.get_json()["message"]
    completing = api.post(f"/api/v1/tasks/{task.id}/complete", user="market.supervisor", json={"data": {}})
    assert completing.status_code == 403 and "market.officer" in completing.get_json()["message"]
    released = api.post(f"/api/v1/tasks/{task.id}/unclaim", user="market.officer")
    assert released.status_code == 200 and released.get_json()["assignee"] is None


def test_complete_validates_the_form_and_a_second_completion_is_409(api, clock, session_factory):
    lead = api.post("/api/v1/leads", json=lead_body(clock)).get_json()
    with session_factory() as s:
        triage = s.scalars(select(HumanTask).where(HumanTask.instance_id == lead["instance_id"])).one()
    path = f"/api/v1/tasks/{triage.id}/complete"
    bad = api.post(path, user="office.officer", json={"data": {"triage_decision": "dispatch",
                                                               "responsible_unit": "atlantis"}})
    assert bad.status_code == 422
    assert {"responsible_unit", "feedback_workdays", "triage_opinion"} <= set(bad.get_json()["errors"])
    assert api.post(path, json={"data": "not an object"}).status_code == 422
    assert api.post(path, json={"data": {"x": "\x00"}}).status_code == 422
    assert api.post(path, user="market.officer", json={"data": {}}).status_code == 404
    good = {"triage_decision": "dispatch", "responsible_unit": "market", "feedback_workdays": 15,
            "triage_opinion": "属市场监管职责，转市场监管所核查。"}
    done = api.post(path, user="office.officer", json={"data": good})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["task"]["status"] == "completed" and body["task"]["completed_by"] == "office.officer"
    assert body["instance_status"] == "running"  # the special office oversees the next (market's) task
    assert [t["element_id"] for t in body["next_tasks"]] == ["accept_lead"]
    market_next = api.get(f"/api/v1/instances/{lead['instance_id']}", user="market.officer").get_json()
    assert [t["element_id"] for t in market_next["tasks"] if t["status"] == "open"] == ["accept_lead"]
    again = api.post(path, user="office.supervisor", json={"data": good})
    assert again.status_code == 409 and "office.officer" in again.get_json()["message"]
    assert api.get(f"/api/v1/leads/{lead['id']}", user="market.officer").get_json()["status"] == "dispatched"


# -- instances ----------------------------------------------------------------------------

def test_an_instance_with_its_tasks_and_events_and_who_may_see_it(api, session_factory):
    task = open_task(session_factory, "market")
    detail = api.get(f"/api/v1/instances/{task.instance_id}", user="market.officer")
    assert detail.status_code == 200
    body = detail.get_json()
    assert task.id in [t["id"] for t in body["tasks"]] and body["status"] == "running"
    assert body["events"][0]["action"] == "instance.started" and body["version"] >= 1
    assert api.get(f"/api/v1/instances/{task.instance_id}", user="police.officer").status_code == 404
    assert api.get(f"/api/v1/instances/{task.instance_id}", user="office.officer").status_code == 200
    assert api.get("/api/v1/instances/55555555").status_code == 404
    assert api.get(f"/api/v1/instances/{task.instance_id}", scopes="tasks:read").status_code == 403


def test_starting_an_instance_is_for_supervisors(api):
    deployed = api.post("/api/v1/definitions", user="admin",
                        data={"file": (_bpmn("api_probe"), "api_probe.bpmn")}, content_type="multipart/form-data")
    assert deployed.status_code == 201, deployed.get_json()
    started = api.post("/api/v1/instances", user="office.supervisor",
                       json={"process_id": "api_probe", "business_key": "API-1", "data": {"note": "测试"}})
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["business_key"] == "API-1" and body["started_by"] == "office.supervisor"
    assert [t["element_id"] for t in body["tasks"]] == ["t1"]
    assert started.headers["Location"].endswith(f"/api/v1/instances/{body['id']}")
    assert api.post("/api/v1/instances", user="office.officer", json={"process_id": "api_probe"}).status_code == 403
    missing = api.post("/api/v1/instances", user="office.supervisor", json={"process_id": "no_such_process"})
    assert missing.status_code == 404
    assert api.post("/api/v1/instances", user="office.supervisor",
                    json={"process_id": "api_probe", "version": 7}).status_code == 404
    assert api.post("/api/v1/instances", user="office.supervisor", json={"data": []}).status_code == 422


# -- definitions ---------------------------------------------------------------------------

def _bpmn(process_id="api_probe", n=1):
    return io.BytesIO(b.sequential(process_id, n=n, groups="office"))


def test_definitions_list_and_deploy(api, session_factory):
    listing = api.get("/api/v1/definitions?latest=true").get_json()
    assert {d["process_id"] for d in listing["items"]} >= {"lead_handling", "rectification"}
    upload = {"file": (_bpmn("api_probe", 2), "api_probe.bpmn"), "comment": "两步"}
    first = api.post("/api/v1/definitions", user="admin", data=upload, content_type="multipart/form-data")
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["definition"]["version"] == 1 and first.get_json()["created"] is True
    again = api.post("/api/v1/definitions", user="admin", data={"file": (_bpmn("api_probe", 2), "api_probe.bpmn")},
                     content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["created"] is False
    definition_id = first.get_json()["definition"]["id"]
    assert api.get(f"/api/v1/definitions/{definition_id}").get_json()["comment"] == "两步"
    assert api.get("/api/v1/definitions?process_id=api_probe").get_json()["total"] == 1
    assert api.get("/api/v1/definitions/424242").status_code == 404
    with session_factory() as s:
        assert s.scalar(select(ProcessDefinition.deployed_by).where(ProcessDefinition.id == definition_id)) == "admin"


def test_deploy_refuses_bad_files_other_users_and_large_uploads(api, demo):
    broken = api.post("/api/v1/definitions", user="admin", data={"file": (io.BytesIO(b"<nope"), "x.bpmn")},
                      content_type="multipart/form-data")
    assert broken.status_code == 422 and broken.get_json()["errors"]["file"]
    assert api.post("/api/v1/definitions", user="admin", data={}, content_type="multipart/form-data").status_code == 422
    assert api.post("/api/v1/definitions", user="office.supervisor",
                    data={"file": (_bpmn(), "p.bpmn")}, content_type="multipart/form-data").status_code == 403
    demo.config["DUBAN_API_MAX_BPMN_BYTES"] = 64 * 1024
    large = b.sequential("big", n=1).replace(b"<bpmn:process", b"<!--" + b"x" * 70_000 + b"-->\n<bpmn:process")
    too_large = api.post("/api/v1/definitions", user="admin", data={"file": (io.BytesIO(large), "big.bpmn")},
                         content_type="multipart/form-data")
    assert too_large.status_code == 413 and too_large.is_json
    assert "65536" in too_large.get_json()["message"]


def test_a_json_body_over_the_limit_is_413(api, demo, clock):
    demo.config["DUBAN_API_MAX_BODY_BYTES"] = 4096
    response = api.post("/api/v1/leads", json=lead_body(clock, summary="长" * 5000))
    assert response.status_code == 413 and response.is_json


# -- units, statistics, tokens, docs ---------------------------------------------------------

def test_units(api):
    units = api.get("/api/v1/units").get_json()
    codes = {u["code"]: u for u in units}
    assert {"office", "market", "police"} <= set(codes) and codes["market"]["parent"] == "office"
    assert codes["office"]["parent"] is None
    assert api.get("/api/v1/units?include_inactive=maybe").status_code == 422


def test_statistics_count_what_the_caller_may_see(api, session_factory, clock):
    office = api.get("/api/v1/statistics", user="office.supervisor").get_json()
    assert office["scope"] == "all"
    assert office["leads"]["total"] == lead_count(session_factory)
    assert sum(office["leads"]["by_status"].values()) == office["leads"]["total"]
    assert sum(office["leads"]["by_channel"].values()) == office["leads"]["total"]
    assert office["tasks"]["open_by_unit"]["market"] >= 1
    assert office["tasks"]["overdue_total"] == len(overdue_count(session_factory, clock)) > 0
    assert api.get("/api/v1/statistics", user="market.officer").status_code == 403  # as the dashboard
    market = api.get("/api/v1/statistics", user="market.supervisor").get_json()
    assert market["scope"] == "market" and set(market["tasks"]["open_by_unit"]) == {"market"}
    assert market["tasks"]["open_by_unit"]["market"] == office["tasks"]["open_by_unit"]["market"]
    clock.advance(timedelta(days=120))
    later = api.get("/api/v1/statistics", user="office.supervisor").get_json()
    assert later["tasks"]["overdue_total"] > 0 and later["tasks"]["overdue_by_unit"]


def test_the_token_admin_endpoints(api, client):
    created = api.post("/api/v1/tokens", user="admin",
                       json={"user": "market.officer", "scopes": ["tasks:read"], "name": "网格 App"})
    assert created.status_code == 201, created.get_json()
    secret = created.get_json()["token"]
    assert client.get("/api/v1/tasks", headers=auth(secret)).status_code == 200
    listing = api.get("/api/v1/tokens?user=market.officer", user="admin").get_json()
    assert [t["name"] for t in listing] == ["网格 App"] and "token" not in listing[0]
    revoked = api.delete(f"/api/v1/tokens/{created.get_json()['id']}", user="admin")
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    assert client.get("/api/v1/tasks", headers=auth(secret)).status_code == 401
    assert api.get("/api/v1/tokens", user="office.supervisor").status_code == 403
    assert api.get("/api/v1/tokens", user="admin", scopes="leads:read").status_code == 403
    bad = api.post("/api/v1/tokens", user="admin", json={"user": "ghost", "scopes": ["nope"]})
    assert bad.status_code == 422 and "scopes" in bad.get_json()["errors"]
    assert api.post("/api/v1/tokens", user="admin", json={"user": "ghost", "scopes": ["leads:read"]}).status_code == 422
    assert api.delete("/api/v1/tokens/9999", user="admin").status_code == 404


def test_the_openapi_document_and_the_docs_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/leads", "/api/v1/tasks/{task_id}/complete", "/api/v1/definitions", "/api/v1/statistics",
            "/api/v1/instances/{instance_id}", "/api/v1/units"} <= set(spec["paths"])
    assert spec["paths"]["/api/v1/leads"]["post"]["x-scope"] == "leads:write"
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/tasks/{task_id}/claim" in page.text and "LeadIn" in page.text
    assert "<script" not in page.text
    assert client.get("/api/v1/").get_json()["openapi"] == "/api/v1/openapi.json"


def test_api_calls_leave_audit_events(api, clock, session_factory):
    lead = api.post("/api/v1/leads", user="office.officer", json=lead_body(clock)).get_json()
    with session_factory() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.actor == "office.officer")).all()
    assert "lead.registered" in actions and "instance.started" in actions and lead["id"]


def test_complete_follows_the_pages_rules_for_delegation_and_co_handlers(api, demo, clock, session_factory):
    from web.tasks import operations
    lead = api.post("/api/v1/leads", json=lead_body(clock)).get_json()
    with session_factory() as s:
        triage = s.scalars(select(HumanTask).where(HumanTask.instance_id == lead["instance_id"])).one()
    office = _actor(session_factory, "office.officer")
    good = {"triage_decision": "dispatch", "responsible_unit": "market", "feedback_workdays": 15,
            "triage_opinion": "转市场监管所核查。"}
    path = f"/api/v1/tasks/{triage.id}/complete"
    with demo.app_context():
        operations().add_cosigner(triage.id, office, "police.officer", "请派出所会签")
    waiting = api.post(path, user="office.officer", json={"data": good})
    assert waiting.status_code == 422 and "police.officer" in waiting.get_json()["message"]
    with demo.app_context():
        operations().sign(triage.id, _actor(session_factory, "police.officer"), "同意")
        operations().delegate(triage.id, office, "office.supervisor", "请代为研判")
    assert api.post(path, user="office.officer", json={"data": good}).status_code == 403  # it is with the delegate
    resolved = api.post(path, user="office.supervisor", json={"data": good})
    assert resolved.status_code == 200 and resolved.get_json()["outcome"] == "resolved", resolved.get_json()
    assert resolved.get_json()["task"]["status"] == "open"  # back with office.officer, the owner
    done = api.post(path, user="office.officer", json={"data": good})
    assert done.status_code == 200 and done.get_json()["outcome"] == "completed"


def _actor(session_factory, username):
    with session_factory() as s:
        return s.scalars(select(User).where(User.username == username)).one().to_actor()
