"""Camunda 7's decision-definition REST API under /engine-rest: list, count, read a definition and its
DMN XML, evaluate by key or id with typed variables in and typed values out; errors in Camunda's
shape with its status codes (404 unknown, 400 bad body, 500 a table that cannot decide); who may
call it; and a Camunda-shaped client over real HTTP."""
import threading

import pytest
import requests
from camunda.client.engine_client import EngineClient
from camunda.variables.variables import Variables
from werkzeug.serving import make_server

from tests import dmn_builder as d
from tests.conftest import login
from tests.test_api import make_token
from tests.test_engine_rest_external_tasks import Rest

DEFINITION_KEYS = {"id", "key", "category", "name", "version", "resource", "deploymentId",
                   "decisionRequirementsDefinitionId", "decisionRequirementsDefinitionKey", "tenantId",
                   "versionTag", "historyTimeToLive"}
NAMESPACE = "http://duban.example/dmn"  # tests/dmn_builder.py's definitions


def engine(app):
    return app.extensions["duban"].engine


@pytest.fixture
def reader(demo):
    """A market officer's token with only `definitions:read`: decisions are no unit's records."""
    return Rest(demo, make_token(demo, "market.officer", "definitions:read"))


def deployed(app, xml=None, filename="grading.dmn"):
    [result] = engine(app).deploy_decisions(xml or d.table(), filename)
    return result.definition


# -- list, count, read ---------------------------------------------------------------------------

def test_list_and_count_with_key_and_latest_version(demo, reader):
    first = deployed(demo)
    second = deployed(demo, d.table(rules=[(["-"], ['"any"'])]))
    deployed(demo, d.table(key="other"), "other.dmn")

    listing = reader.get("/decision-definition?key=grading")
    assert listing.status_code == 200
    items = listing.get_json()
    assert [item["version"] for item in items] == [1, 2] and set(items[0]) == DEFINITION_KEYS
    assert items[0] == {"id": str(first.id), "key": "grading", "category": NAMESPACE, "name": "grading",
                        "version": 1, "resource": "grading.dmn", "deploymentId": first.deployment_id,
                        "decisionRequirementsDefinitionId": None, "decisionRequirementsDefinitionKey": None,
                        "tenantId": None, "versionTag": None, "historyTimeToLive": None}
    latest = reader.get("/decision-definition?latestVersion=true&key=grading").get_json()
    assert [item["id"] for item in latest] == [str(second.id)]
    assert reader.get("/decision-definition/count?key=grading").get_json() == {"count": 2}
    assert reader.get("/decision-definition/count?keyLike=%25grad%25&latestVersion=true").get_json()["count"] >= 1
    assert reader.get("/decision-definition/count?keyLike=othe").get_json() == {"count": 1}
    assert reader.get(f"/decision-definition?decisionDefinitionIdIn={first.id},{second.id},x").get_json()[1]["id"] \
        == str(second.id)
    assert reader.get(f"/decision-definition/count?category={NAMESPACE}&key=other").get_json() == {"count": 1}
    assert reader.get("/decision-definition/count?tenantIdIn=t1").get_json() == {"count": 0}
    page = reader.get("/decision-definition?key=grading&sortBy=version&sortOrder=desc&maxResults=1").get_json()
    assert [item["version"] for item in page] == [2]


def test_bad_query_parameters_are_400_in_camundas_shape(reader):
    for query in ("sortBy=version", "sortBy=colour&sortOrder=asc", "latestVersion=maybe", "maxResults=-1",
                  "version=x"):
        response = reader.get(f"/decision-definition?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["type"] == "InvalidRequestException", query


def test_read_one_by_id_or_key_and_its_xml(demo, reader):
    first = deployed(demo)
    second = deployed(demo, d.table(rules=[(["-"], ['"any"'])]))
    by_id = reader.get(f"/decision-definition/{first.id}").get_json()
    assert by_id["version"] == 1 and by_id["key"] == "grading" and set(by_id) == DEFINITION_KEYS
    assert reader.get("/decision-definition/key/grading").get_json()["id"] == str(second.id)
    xml = reader.get(f"/decision-definition/{first.id}/xml").get_json()
    assert xml == {"id": str(first.id), "dmnXml": d.table().decode()}
    assert reader.get("/decision-definition/key/grading/xml").get_json()["id"] == str(second.id)

    unknown_key = reader.get("/decision-definition/key/nothing_here")
    assert unknown_key.status_code == 404
    assert unknown_key.get_json() == {"type": "RestException", "code": None,
                                      "message": "No matching decision definition with key: nothing_here and no "
                                                 "tenant-id"}
    assert reader.get("/decision-definition/key/nothing_here/xml").status_code == 404
    unknown_id = reader.get("/decision-definition/987654")
    assert unknown_id.status_code == 404 and unknown_id.get_json()["type"] == "InvalidRequestException"
    assert reader.get("/decision-definition/not-a-number").status_code == 404


# -- evaluate --------------------------------------------------------------------------------------

def test_evaluate_by_key_with_typed_variables(demo, reader):
    deployed(demo)
    response = reader.post("/decision-definition/key/grading/evaluate",
                           {"variables": {"amount": {"value": 600, "type": "Double"}}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [{"level": {"value": "mid", "type": "String", "valueInfo": {}}}]
    untyped = reader.post("/decision-definition/key/grading/evaluate", {"variables": {"amount": {"value": 5}}})
    assert untyped.get_json() == [{"level": {"value": "low", "type": "String", "valueInfo": {}}}]
    text = reader.post("/decision-definition/key/grading/evaluate",
                       {"variables": {"amount": {"value": "5000", "type": "String"}}})
    assert text.get_json()[0]["level"]["value"] == "high"


def test_evaluate_by_id_uses_that_version(demo, reader):
    first = deployed(demo, d.table(rules=[(["-"], ['"v1"'])]))
    deployed(demo, d.table(rules=[(["-"], ['"v2"'])]))
    assert reader.post(f"/decision-definition/{first.id}/evaluate", {"variables": {}}).get_json() \
        == [{"level": {"value": "v1", "type": "String", "valueInfo": {}}}]
    assert reader.post("/decision-definition/key/grading/evaluate", {}).get_json()[0]["level"]["value"] == "v2"


def test_typed_values_out_follow_the_output_columns(demo, reader):
    outputs = [("due", "date"), ("points", "integer"), ("money", "long"), ("rate", "double"), ("major", "boolean"),
               ("note", "string"), ("empty", "string"), ("loose", "")]
    rules = [(["-"], ['date("2026-01-31")', "2", "7", "1", "true", '"逾期"', "", "2.5"]),
             (["> 1"], ['date and time("2026-02-28T09:30:00")', "3", "9000000000", "0.5", "false", '"提醒"', "",
                        '"x"'])]
    xml = d.definitions(d.decision("deadline", [("人数", "people", "integer")], outputs, rules, policy="RULE ORDER"))
    deployed(demo, xml, "deadline.dmn")
    response = reader.post("/decision-definition/key/deadline/evaluate",
                           {"variables": {"people": {"value": 5, "type": "Integer"}}})
    assert response.status_code == 200, response.get_json()
    first, second = response.get_json()
    assert first == {"due": {"type": "Date", "value": "2026-01-31T00:00:00.000+0800", "valueInfo": {}},
                     "points": {"type": "Integer", "value": 2, "valueInfo": {}},
                     "money": {"type": "Long", "value": 7, "valueInfo": {}},
                     "rate": {"type": "Double", "value": 1.0, "valueInfo": {}},
                     "major": {"type": "Boolean", "value": True, "valueInfo": {}},
                     "note": {"type": "String", "value": "逾期", "valueInfo": {}},
                     "empty": {"type": "Null", "value": None, "valueInfo": {}},
                     "loose": {"type": "Double", "value": 2.5, "valueInfo": {}}}
    assert second["due"]["value"] == "2026-02-28T09:30:00.000+0800" and second["money"]["value"] == 9000000000
    assert second["loose"] == {"type": "String", "value": "x", "valueInfo": {}}


def test_a_table_that_cannot_decide_is_camundas_500_rest_exception(demo, reader):
    definition = deployed(demo, d.table(rules=[(["< 100"], ['"low"'])]))
    response = reader.post("/decision-definition/key/grading/evaluate",
                           {"variables": {"amount": {"value": 5000, "type": "Long"}}})
    assert response.status_code == 500
    assert response.get_json() == {
        "type": "RestException", "code": None,
        "message": f"Cannot evaluate decision {definition.id}: decision grading (UNIQUE): no rule matches; "
                   "inputs: 金额 = 5000"}


def test_evaluate_refuses_unknown_decisions_and_bad_bodies(demo, reader):
    deployed(demo)
    unknown = reader.post("/decision-definition/key/nothing_here/evaluate", {"variables": {}})
    assert unknown.status_code == 404 and unknown.get_json()["type"] == "RestException"
    by_id = reader.post("/decision-definition/987654/evaluate", {"variables": {}})
    assert by_id.status_code == 404
    assert by_id.get_json()["message"].startswith("Cannot evaluate decision 987654: no deployed decision definition")
    for body, named in (({"variables": []}, "'variables'"),
                        ({"variables": {"amount": {"value": 1, "type": "Bytes"}}}, "'variables.amount'"),
                        ({"variables": {"amount": {"value": "many", "type": "Integer"}}}, "'variables.amount'"),
                        ({"variables": {"amount": 7}}, "'variables.amount'")):
        response = reader.post("/decision-definition/key/grading/evaluate", body)
        assert response.status_code == 400, body
        answer = response.get_json()
        assert answer["type"] == "InvalidRequestException" and named in answer["message"], (body, answer)
    not_json = reader.client.post("/engine-rest/decision-definition/key/grading/evaluate", data="{nope",
                                  headers=reader.headers, content_type="application/json")
    assert not_json.status_code == 400 and not_json.get_json()["type"] == "InvalidRequestException"


# -- who may call it -----------------------------------------------------------------------------

def test_reading_and_evaluating_need_a_token_with_the_read_scope(demo):
    deployed(demo)
    nobody = Rest(demo, headers={})
    assert nobody.get("/decision-definition").status_code == 401
    session = demo.test_client()
    login(session, "admin")
    assert session.get("/engine-rest/decision-definition").status_code == 401  # no cookie counts here
    worker = Rest(demo, make_token(demo, "admin", "external-tasks,messages,instances:write"))
    for method, path in (("GET", "/decision-definition"), ("GET", "/decision-definition/key/grading"),
                         ("GET", "/decision-definition/key/grading/xml"), ("GET", "/decision-definition/count"),
                         ("POST", "/decision-definition/key/grading/evaluate")):
        response = worker.call(method, path, {"variables": {}} if method == "POST" else None)
        assert response.status_code == 403, path
        assert response.get_json()["type"] == "AuthorizationException" and "definitions:read" in \
            response.get_json()["message"]


# -- over HTTP, as a Camunda client sends it ----------------------------------------------------------

@pytest.fixture
def served(demo):
    """(base URL of /engine-rest, a market officer's token with `definitions:read`) over real HTTP."""
    server = make_server("127.0.0.1", 0, demo, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/engine-rest", make_token(demo, "market.officer",
                                                                               "definitions:read")
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_a_camunda_client_evaluates_over_http_with_basic_auth(demo, served):
    base, token = served
    deployed(demo)
    # The Python client has no decision service: its own headers (Basic, user name and token) and
    # variable format, sent as Camunda's REST reference shows.
    client = EngineClient(base, config={"auth_basic": {"username": "market.officer", "password": token}})
    headers = client._get_headers()
    body = {"variables": Variables.format({"amount": {"value": 600, "type": "Double"}})}
    response = requests.post(f"{base}/decision-definition/key/grading/evaluate", json=body, headers=headers,
                             timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == [{"level": {"value": "mid", "type": "String", "valueInfo": {}}}]
    listed = requests.get(f"{base}/decision-definition", params={"key": "grading", "latestVersion": "true"},
                          headers=headers, timeout=10)
    assert [item["key"] for item in listed.json()] == ["grading"]
    refused = requests.post(f"{base}/decision-definition/key/grading/evaluate", json=body, timeout=10,
                            headers={**headers, "Authorization": "Bearer dbn_wrong"})
    assert refused.status_code == 401 and refused.json()["type"] == "RestException"
