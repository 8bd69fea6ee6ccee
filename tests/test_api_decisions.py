"""Decisions through Duban's API (/api/v1/decisions): deploy a DMN file (new version, unchanged, refused
with the problems' element ids, too large), list and read the versions and their XML, evaluate a
decision, and a BPMN file deployed with its DMN files through /api/v1/definitions."""
import io

from tests import dmn_builder as d
from tests.test_api import api  # noqa: F401 (fixture)
from tests.test_dmn_decisions import data_at_after, graded

MULTIPART = "multipart/form-data"


def deploy(api, xml: bytes, user="admin", filename="grading.dmn", **fields):
    return api.post("/api/v1/decisions", user=user, content_type=MULTIPART,
                    data={"file": (io.BytesIO(xml), filename), **fields})


def evaluate(api, key="grading", user="office.officer", **body):
    return api.post(f"/api/v1/decisions/key/{key}/evaluate", user=user, json=body)


# -- deploy, list, read ------------------------------------------------------------------------

def test_deploy_a_new_version_then_the_same_file_again_changes_nothing(api):
    first = deploy(api, d.table(), comment="首版")
    assert first.status_code == 201, first.get_json()
    [deployed] = first.get_json()["decisions"]
    assert deployed["created"] is True and first.get_json()["warnings"] == []
    decision = deployed["decision"]
    assert (decision["key"], decision["version"], decision["hit_policy"]) == ("grading", 1, "UNIQUE")
    assert decision["filename"] == "grading.dmn" and decision["deployed_by"] == "admin"
    assert decision["comment"] == "首版" and decision["deployment_id"]

    again = deploy(api, d.table())
    assert again.status_code == 200, again.get_json()
    [same] = again.get_json()["decisions"]
    assert same["created"] is False and same["decision"]["id"] == decision["id"]

    changed = deploy(api, d.table(rules=[(["-"], ['"any"'])]))
    assert changed.status_code == 201
    assert changed.get_json()["decisions"][0]["decision"]["version"] == 2


def test_a_file_of_several_decisions_deploys_each(api):
    xml = d.definitions(d.decision("heat", [("热度", "heat", "string")], [("score", "integer")], [(["-"], ["1"])]),
                        d.decision("size", [("人数", "people", "integer")], [("score", "integer")], [(["-"], ["2"])]))
    response = deploy(api, xml, filename="two.dmn")
    assert response.status_code == 201
    assert [item["decision"]["key"] for item in response.get_json()["decisions"]] == ["heat", "size"]


def test_list_filter_read_and_xml(api):
    first = deploy(api, d.table()).get_json()["decisions"][0]["decision"]
    second = deploy(api, d.table(rules=[(["-"], ['"any"'])])).get_json()["decisions"][0]["decision"]
    deploy(api, d.table(key="other"), filename="other.dmn")

    listing = api.get("/api/v1/decisions?key=grading").get_json()
    assert listing["total"] == 2 and [item["version"] for item in listing["items"]] == [2, 1]
    latest = {(item["key"], item["version"]) for item in api.get("/api/v1/decisions?latest=true").get_json()["items"]}
    assert {("grading", 2), ("other", 1)} <= latest and ("grading", 1) not in latest
    every = api.get("/api/v1/decisions?per_page=1").get_json()
    assert len(every["items"]) == 1 and every["total"] == len(latest) + 1

    one = api.get(f"/api/v1/decisions/{first['id']}")
    assert one.status_code == 200 and one.get_json() == first
    xml = api.get(f"/api/v1/decisions/{second['id']}/xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert xml.data == d.table(rules=[(["-"], ['"any"'])])
    assert api.get("/api/v1/decisions/987654").status_code == 404
    assert api.get("/api/v1/decisions/987654/xml").status_code == 404
    assert api.get("/api/v1/decisions?latest=maybe").status_code == 422


def test_a_bad_file_is_422_naming_each_problem_and_its_element(api):
    bad_cell = d.table(rules=[(["<< 5"], ['"low"']), (["-"], ["low"])])
    response = deploy(api, bad_cell)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "The DMN file was not deployed."
    problems = body["errors"]["file"]
    assert any("element grading_r1_i0" in problem and "<< 5" in problem for problem in problems), problems
    assert any("element grading_r2_o0" in problem for problem in problems), problems
    assert api.get("/api/v1/decisions?key=grading").get_json()["total"] == 0

    not_dmn = deploy(api, b"<nope", filename="x.dmn")
    assert not_dmn.status_code == 422 and not_dmn.get_json()["errors"]["file"]
    doctype = deploy(api, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><definitions/>')
    assert doctype.status_code == 422
    missing = api.post("/api/v1/decisions", user="admin", data={}, content_type=MULTIPART)
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]
    as_text = api.post("/api/v1/decisions", user="admin", data={"file": "<definitions/>"}, content_type=MULTIPART)
    assert as_text.status_code == 422 and "file" in as_text.get_json()["errors"]


def test_deploying_is_for_administrators_with_the_write_scope_and_within_the_size_limit(api, demo):
    assert deploy(api, d.table(), user="office.supervisor").status_code == 403
    narrow = api.post("/api/v1/decisions", user="admin", scopes="definitions:read", content_type=MULTIPART,
                      data={"file": (io.BytesIO(d.table()), "grading.dmn")})
    assert narrow.status_code == 403 and "definitions:write" in narrow.get_json()["message"]
    demo.config["DUBAN_API_MAX_BPMN_BYTES"] = 64 * 1024
    large = d.table().replace(b"<definitions", b"<!--" + b"x" * 70_000 + b"-->\n<definitions")
    too_large = deploy(api, large)
    assert too_large.status_code == 413 and "65536" in too_large.get_json()["message"]
    assert api.get("/api/v1/decisions?key=grading").get_json()["total"] == 0


def test_reading_needs_the_read_scope(api, client):
    assert client.get("/api/v1/decisions").status_code == 401
    assert api.get("/api/v1/decisions", scopes="leads:read").status_code == 403
    assert api.get("/api/v1/decisions", user="market.officer", scopes="definitions:read").status_code == 200


# -- evaluate ----------------------------------------------------------------------------------------

def test_evaluate_gives_the_results_and_the_rules_that_matched(api):
    deploy(api, d.table())
    response = evaluate(api, variables={"amount": 600})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["decision"] == {"id": body["decision"]["id"], "key": "grading", "version": 1, "name": "grading",
                                "hit_policy": "UNIQUE"}
    assert body["results"] == [{"level": "mid"}]
    assert body["matched"] == [{"rule_id": "grading_r2", "row": 2, "description": "", "outputs": {"level": "mid"}}]
    assert body["inputs"] == {"金额": 600}
    # a market officer with only the read scope may evaluate too: a table is policy, not a unit's case
    narrow = evaluate(api, user="market.officer", variables={"amount": "50"})
    assert narrow.status_code == 200 and narrow.get_json()["results"] == [{"level": "low"}]


def test_evaluate_a_given_version(api):
    deploy(api, d.table(rules=[(["-"], ['"v1"'])]))
    deploy(api, d.table(rules=[(["-"], ['"v2"'])]))
    assert evaluate(api, variables={}).get_json()["results"] == [{"level": "v2"}]
    pinned = evaluate(api, variables={}, version=1).get_json()
    assert pinned["results"] == [{"level": "v1"}] and pinned["decision"]["version"] == 1
    missing_version = evaluate(api, variables={}, version=7)
    assert missing_version.status_code == 404 and "no version 7" in missing_version.get_json()["message"]


def test_dates_durations_and_collect_results_come_back_as_json(api):
    outputs = [("due", "date"), ("within", "string"), ("points", "integer")]
    rules = [(["-"], ['date("2026-01-31")', '"3 天"', "2"]), (["> 1"], ['date("2026-02-28")', '"5 天"', "3"])]
    xml = d.definitions(d.decision("deadline", [("人数", "people", "integer")], outputs, rules, policy="RULE ORDER"))
    deploy(api, xml, filename="deadline.dmn")
    body = evaluate(api, "deadline", variables={"people": 5}).get_json()
    assert body["results"] == [{"due": "2026-01-31", "within": "3 天", "points": 2},
                               {"due": "2026-02-28", "within": "5 天", "points": 3}]
    assert [rule["row"] for rule in body["matched"]] == [1, 2]


def test_evaluate_refuses_an_unknown_decision_a_table_that_cannot_decide_and_bad_bodies(api):
    deploy(api, d.table(rules=[(["< 100"], ['"low"'])]))
    unknown = evaluate(api, "nothing_here", variables={})
    assert unknown.status_code == 404 and "decision nothing_here is not deployed" in unknown.get_json()["message"]
    assert evaluate(api, "x" * 300, variables={}).status_code == 404

    failed = evaluate(api, variables={"amount": 5000})
    assert failed.status_code == 422
    assert failed.get_json()["message"] == "decision grading (UNIQUE): no rule matches; inputs: 金额 = 5000"

    for body, field in (({"variables": [1]}, "variables"), ({"variables": {}, "version": "2"}, "version"),
                        ({"variables": {}, "version": 0}, "version"), ({"inputs": {}}, "inputs"),
                        ({"variables": {"a": "x\x00y"}}, "variables")):
        response = evaluate(api, **body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["errors"], (body, response.get_json())
    malformed = api.post("/api/v1/decisions/key/grading/evaluate", data="{nope", content_type="application/json")
    assert malformed.status_code == 400


def test_evaluating_needs_the_read_scope(api, client):
    deploy(api, d.table())
    assert client.post("/api/v1/decisions/key/grading/evaluate", json={"variables": {}}).status_code == 401
    refused = evaluate(api, user="market.officer", variables={"amount": 5})
    assert refused.status_code == 200
    token_without = api.post("/api/v1/decisions/key/grading/evaluate", scopes="leads:read,tasks:read",
                             json={"variables": {"amount": 5}})
    assert token_without.status_code == 403 and "definitions:read" in token_without.get_json()["message"]


# -- a process deployed with its decisions ------------------------------------------------------------

def test_a_bpmn_file_deployed_with_its_dmn_files_uses_that_version(api, demo, session_factory):
    engine = demo.extensions["duban"].engine
    deploy(api, d.table(rules=[(["-"], ['"v1"'])]))
    bundled = d.table(rules=[(["-"], ['"bundled"'])])
    response = api.post("/api/v1/definitions", user="admin", content_type=MULTIPART, data={
        "file": (io.BytesIO(graded("bundled", binding="deployment", mapping="singleEntry")), "bundled.bpmn"),
        "decisions": [(io.BytesIO(bundled), "grading.dmn")], "comment": "流程与决策表一起发布"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    [with_it] = body["decisions"]
    assert with_it["created"] is True and with_it["decision"]["version"] == 2
    assert with_it["decision"]["comment"] == "流程与决策表一起发布"
    deploy(api, d.table(rules=[(["-"], ['"v3"'])]))  # a later version does not change what the process uses

    instance_id = engine.start("bundled", {})
    assert data_at_after(engine, session_factory, instance_id)["level"] == "bundled"


def test_a_bad_dmn_file_with_a_bpmn_file_deploys_neither(api):
    broken = d.table(rules=[(["<< 5"], ['"low"'])])
    response = api.post("/api/v1/definitions", user="admin", content_type=MULTIPART, data={
        "file": (io.BytesIO(graded("bundled", binding="deployment")), "bundled.bpmn"),
        "decisions": [(io.BytesIO(d.table(key="fine")), "fine.dmn"), (io.BytesIO(broken), "broken.dmn")]})
    assert response.status_code == 422
    assert any("broken.dmn" in problem and "grading_r1_i0" in problem
               for problem in response.get_json()["errors"]["file"])
    assert api.get("/api/v1/decisions?key=fine").get_json()["total"] == 0
    assert api.get("/api/v1/definitions?process_id=bundled").get_json()["total"] == 0
    as_text = api.post("/api/v1/definitions", user="admin", content_type=MULTIPART, data={
        "file": (io.BytesIO(graded("bundled", binding="deployment")), "bundled.bpmn"), "decisions": "grading"})
    assert as_text.status_code == 422 and "decisions" in as_text.get_json()["errors"]


def test_a_bpmn_file_alone_reports_no_decisions_and_warns_of_a_missing_one(api):
    response = api.post("/api/v1/definitions", user="admin", content_type=MULTIPART,
                        data={"file": (io.BytesIO(graded("lonely", ref="missing")), "lonely.bpmn")})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["decisions"] == []
    assert any("'missing', which is not deployed" in w["message"] for w in response.get_json()["warnings"])


def test_the_openapi_document_has_the_decisions(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/decisions", "/api/v1/decisions/{decision_id}", "/api/v1/decisions/{decision_id}/xml",
            "/api/v1/decisions/key/{key}/evaluate"} <= set(spec["paths"])
    assert spec["paths"]["/api/v1/decisions"]["post"]["x-scope"] == "definitions:write"
    assert spec["paths"]["/api/v1/decisions/key/{key}/evaluate"]["post"]["x-scope"] == "definitions:read"
    upload = spec["components"]["schemas"]["DeployUpload"]["properties"]
    assert upload["decisions"]["items"]["format"] == "binary"
