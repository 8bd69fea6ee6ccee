"""Decision tables in the administration pages (web/admin_decisions.py): the list, versions, download,
diff and rollback pages, and the editor's JSON endpoints (validate, evaluate, deploy, template), through
the Flask test client on the demo data."""
import html
import json
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from engine.dmn.loader import load_decisions
from engine.identity import Actor
from engine.store.decision_models import DecisionDefinition
from engine.store.models import AuditEvent
from tests import dmn_builder as dmn
from tests.conftest import csrf_token, login

ADMIN = Actor("admin", roles=frozenset({"administrator"}))
KEY = "web_grading"
# amount (a number) -> level; the ids are the builder's: rule r, input cell i, output cell o.
RULES = [(["< 100"], ['"low"'], "小额"), (["[100..1000]"], ['"mid"'], "中额"), (["> 1000"], ['"high"'], "大额")]


def _table(rules=RULES, policy="UNIQUE", key=KEY, name="网页测试分级") -> str:
    return dmn.definitions(dmn.decision(key, [("金额（元）", "amount", "double")], [("level", "string")], rules,
                                        policy, name=name)).decode()


def _engine(client):
    return client.application.extensions["duban"].engine


@pytest.fixture
def admin(client):
    login(client, "admin")
    client.token = csrf_token(client, "/admin/")
    return client


@pytest.fixture
def deployed(client):
    """KEY deployed once (v1), by the administrator."""
    _engine(client).deploy_decisions(_table().encode(), f"{KEY}.dmn", ADMIN, comment="第一版")
    return KEY


def _post(client, path, body, token=True):
    headers = {"X-CSRFToken": client.token} if token else {}
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


def _versions(session_factory, key=KEY):
    with session_factory() as session:
        return session.scalars(select(DecisionDefinition).where(DecisionDefinition.decision_key == key)
                               .order_by(DecisionDefinition.version)
                               .options(undefer(DecisionDefinition.source_xml))).all()


# -- who may ---------------------------------------------------------------------------------

PAGES = ["/admin/decisions", f"/admin/decisions/{KEY}/versions", f"/admin/decisions/{KEY}/versions/1.dmn",
         f"/admin/decisions/{KEY}/diff", "/admin/decisions/editor", f"/admin/decisions/{KEY}/editor"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_open_for_an_administrator(admin, deployed, path):
    assert admin.get(path).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_refused_to_everyone_else(client, deployed, path):
    login(client, "office.leader")
    assert client.get(path).status_code == 403


def test_json_endpoints_answer_401_and_403_in_json(client):
    login(client, "office.supervisor")
    token = csrf_token(client)
    for path in ("/admin/api/decisions/validate", "/admin/api/decisions/evaluate", "/admin/api/decisions/deploy"):
        response = client.post(path, data=json.dumps({"xml": _table()}), content_type="application/json",
                               headers={"X-CSRFToken": token})
        assert response.status_code == 403 and response.is_json, path
        assert response.json["error"] == "只有系统管理员可以执行此操作。"
    client.post("/logout", data={"csrf_token": token})
    response = client.get("/admin/api/decisions/template")
    assert response.status_code == 401 and response.is_json


def test_posting_without_the_csrf_token_is_refused_in_json(admin):
    response = _post(admin, "/admin/api/decisions/deploy", {"xml": _table()}, token=False)
    assert response.status_code == 400 and response.is_json


# -- the pages ---------------------------------------------------------------------------------

def test_the_admin_index_links_to_the_decision_tables(admin):
    page = admin.get("/admin/").text
    assert 'href="/admin/decisions"' in page and "决策表" in page


def test_the_list_shows_name_first_key_small_hit_policy_and_who(admin, deployed):
    page = admin.get("/admin/decisions").text
    row = page[page.index(f'data-decision-key="{KEY}"'):]
    row = row[:row.index("</tr>")]
    # The name is the link; the key is under it, small and muted.
    muted_key = f'<div class="small text-muted font-monospace">{KEY}</div>'
    assert ">网页测试分级</a>" in row and row.index("网页测试分级") < row.index(muted_key)
    assert "唯一（UNIQUE）" in row and "v1" in row and "第一版" in row
    assert "系统管理员" in row and ">admin<" not in row  # the deployer, by name, never the username
    assert f"/admin/decisions/{KEY}/editor" in row and f"/admin/decisions/{KEY}/versions/1.dmn" in row


def test_the_list_says_when_nothing_is_deployed_and_speaks_english_too(admin):
    with _engine(admin).session_factory() as session:
        session.execute(DecisionDefinition.__table__.delete())
        session.commit()
    assert "尚未部署决策表。" in admin.get("/admin/decisions").text
    admin.get("/lang/en")
    page = admin.get("/admin/decisions").text
    assert "Decision tables" in page and "No decision table is deployed." in page


def test_a_version_downloads_as_its_dmn_file(admin, deployed):
    response = admin.get(f"/admin/decisions/{KEY}/versions/1.dmn")
    assert response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{KEY}_v1.dmn"'
    assert response.data == _table().encode()
    shown = admin.get(f"/admin/decisions/{KEY}/versions/1.dmn?download=0")
    assert "Content-Disposition" not in shown.headers
    assert admin.get(f"/admin/decisions/{KEY}/versions/9.dmn").status_code == 404
    assert admin.get("/admin/decisions/no_such_table/versions").status_code == 404


def test_the_editor_page_carries_its_urls_and_the_deployed_versions(admin, deployed):
    page = admin.get(f"/admin/decisions/{KEY}/editor").text
    assert 'id="decisions-app"' in page and f'data-key="{KEY}"' in page and 'data-version="1"' in page
    assert "/admin/api/decisions/validate" in page and "/admin/api/decisions/evaluate" in page
    assert "decisions.js" in page and "decisions.css" in page
    deployed_list = json.loads(html.unescape(re.search(r'data-deployed="([^"]*)"', page).group(1)))
    assert {"key": KEY, "name": "网页测试分级", "versions": [1]} in deployed_list  # the "open" list, by name
    assert 'data-key=""' in admin.get("/admin/decisions/editor").text
    assert admin.get(f"/admin/decisions/{KEY}/editor?version=7").status_code == 404


# -- validate ------------------------------------------------------------------------------------

def test_validate_puts_unreadable_entries_and_unknown_names_on_their_cells(admin):
    rules = [(["<< 3"], ['"low"']), (["> foo"], ['"mid"']), (["> 1000"], ['"high"'])]
    response = _post(admin, "/admin/api/decisions/validate", {"xml": _table(rules)})
    assert response.status_code == 200
    problems = {p["element_id"]: p for p in response.json["problems"]}
    assert set(problems) == {f"{KEY}_r1_i0", f"{KEY}_r2_i0"}
    assert all(p["severity"] == "error" for p in problems.values())
    unreadable = problems[f"{KEY}_r1_i0"]
    assert unreadable["message_en"].startswith('rule 1, input "金额（元）": cannot read "<< 3"')
    assert unreadable["message"].startswith("规则 1，输入“金额（元）”：无法识别“<< 3”：")
    unknown = problems[f"{KEY}_r2_i0"]
    assert "unknown input name foo" in unknown["message_en"] and "未知的输入名 foo" in unknown["message"]


def test_validate_warns_of_overlapping_rules_under_unique_on_the_later_rule(admin):
    rules = [(["< 100"], ['"low"']), (["< 50"], ['"tiny"']), (["> 1000"], ['"high"'])]
    problems = _post(admin, "/admin/api/decisions/validate", {"xml": _table(rules)}).json["problems"]
    assert [(p["element_id"], p["severity"]) for p in problems] == [(f"{KEY}_r2", "warning")]
    assert "规则 1 和规则 2 可能同时匹配" in problems[0]["message"]
    # Under FIRST the same rules are fine.
    assert _post(admin, "/admin/api/decisions/validate", {"xml": _table(rules, policy="FIRST")}).json["problems"] == []


def test_validate_answers_400_without_xml(admin):
    response = _post(admin, "/admin/api/decisions/validate", {"dmn": "x"})
    assert response.status_code == 400 and "xml" in response.json["error"]


# -- evaluate ------------------------------------------------------------------------------------

def test_evaluate_runs_the_unsaved_table_and_names_the_matched_rule(admin, session_factory):
    response = _post(admin, "/admin/api/decisions/evaluate", {"xml": _table(), "variables": {"amount": 500}})
    assert response.status_code == 200
    body = response.json
    assert body["results"] == [{"level": "mid"}]
    assert body["matched"] == [{"rule_id": f"{KEY}_r2", "row": 2, "description": "中额", "outputs": {"level": "mid"}}]
    assert body["inputs"] == {"金额（元）": 500}
    assert _versions(session_factory) == []  # nothing was deployed


def test_evaluate_shows_every_match_under_collect_and_the_chosen_decision(admin):
    xml = dmn.definitions(
        dmn.decision("first_table", [("金额", "amount", "double")], [("level", "string")], [(["-"], ['"x"'])]),
        dmn.decision("second_table", [("金额", "amount", "double")], [("flag", "string")],
                     [(["> 10"], ['"a"']), (["> 20"], ['"b"'])], policy="COLLECT")).decode()
    body = _post(admin, "/admin/api/decisions/evaluate",
                 {"xml": xml, "decision": "second_table", "variables": {"amount": 30}}).json
    assert body["decision"] == "second_table" and body["results"] == [{"flag": "a"}, {"flag": "b"}]
    assert [m["row"] for m in body["matched"]] == [1, 2]
    missing = _post(admin, "/admin/api/decisions/evaluate", {"xml": xml, "decision": "nope", "variables": {}})
    assert missing.status_code == 400


def test_evaluate_says_why_a_unique_table_gives_no_result(admin):
    rules = [(["< 100"], ['"low"']), (["< 50"], ['"tiny"'])]
    body = _post(admin, "/admin/api/decisions/evaluate", {"xml": _table(rules), "variables": {"amount": 10}}).json
    assert body["error_en"].startswith(f"decision {KEY} (UNIQUE): rules 1, 2 all match; UNIQUE allows one")
    assert "规则 1, 2 同时匹配" in body["error"]
    assert [m["row"] for m in body["matched"]] == [1, 2]  # both shown, to see which rules overlap
    none = _post(admin, "/admin/api/decisions/evaluate", {"xml": _table(rules), "variables": {"amount": 500}}).json
    assert "no rule matches" in none["error_en"] and "没有规则匹配" in none["error"]


def test_evaluate_answers_422_with_the_problems_of_a_table_that_does_not_load(admin):
    response = _post(admin, "/admin/api/decisions/evaluate",
                     {"xml": _table([(["<< 3"], ['"low"'])]), "variables": {"amount": 1}})
    assert response.status_code == 422
    assert [p["element_id"] for p in response.json["problems"]] == [f"{KEY}_r1_i0"]
    bad = _post(admin, "/admin/api/decisions/evaluate", {"xml": _table(), "variables": [1, 2]})
    assert bad.status_code == 400


# -- deploy, diff, rollback ------------------------------------------------------------------------

def test_deploy_makes_a_version_then_nothing_for_the_same_file_then_the_next_version(admin, session_factory):
    first = _post(admin, "/admin/api/decisions/deploy", {"xml": _table(), "comment": "首次部署"})
    assert first.status_code == 201, first.json
    assert first.json["decisions"] == [{"key": KEY, "name": "网页测试分级", "version": 1, "created": True}]
    assert first.json["versions_url"] == f"/admin/decisions/{KEY}/versions"
    same = _post(admin, "/admin/api/decisions/deploy", {"xml": _table(), "comment": "再次部署"})
    assert same.status_code == 200 and same.json["decisions"][0]["created"] is False
    changed_rules = [(["< 50"], ['"low"'], "小额"), *RULES[1:]]
    changed = _post(admin, "/admin/api/decisions/deploy", {"xml": _table(changed_rules), "comment": "降低门槛"})
    assert changed.status_code == 201 and changed.json["decisions"][0]["version"] == 2
    versions = _versions(session_factory)
    assert [(v.version, v.comment, v.deployed_by, v.filename) for v in versions] == [
        (1, "首次部署", "admin", f"{KEY}.dmn"), (2, "降低门槛", "admin", f"{KEY}.dmn")]


def test_deploy_refuses_a_table_with_errors_and_passes_warnings_on(admin, session_factory):
    refused = _post(admin, "/admin/api/decisions/deploy", {"xml": _table([(["<< 3"], ['"low"'])])})
    assert refused.status_code == 422 and refused.json["problems"][0]["element_id"] == f"{KEY}_r1_i0"
    assert _versions(session_factory) == []
    overlapping = [(["< 100"], ['"low"']), (["< 50"], ['"tiny"'])]
    accepted = _post(admin, "/admin/api/decisions/deploy", {"xml": _table(overlapping)})
    assert accepted.status_code == 201
    assert [w["element_id"] for w in accepted.json["warnings"]] == [f"{KEY}_r2"]


def test_the_diff_lists_a_changed_cell_by_rule_and_column(admin, deployed):
    changed = [(["< 50"], ['"low"'], "小额"), *RULES[1:], (["-"], ['"none"'], "其余")]
    assert _post(admin, "/admin/api/decisions/deploy", {"xml": _table(changed, policy="FIRST")}).status_code == 201
    page = admin.get(f"/admin/decisions/{KEY}/diff?a=1&b=2").text
    assert "v1 → v2" in page
    cell = page[page.index(f'data-element-id="{KEY}_r1"'):]
    cell = cell[:cell.index("</tr>")]
    assert "规则 1" in cell and "小额" in cell and "金额（元）" in cell
    assert "&lt; 100" in cell and "&lt; 50" in cell
    assert 'data-part="hit_policy"' in page and "唯一（UNIQUE）" in page and "首条命中（FIRST）" in page
    assert f'data-element-id="{KEY}_r4"' in page and 'data-action="added"' in page
    same = admin.get(f"/admin/decisions/{KEY}/diff?a=2&b=2").text
    assert "两个版本的决策表相同。" in same


def test_rollback_deploys_the_old_version_again_with_the_reason(admin, deployed, session_factory):
    changed = [(["< 50"], ['"low"'], "小额"), *RULES[1:]]
    _post(admin, "/admin/api/decisions/deploy", {"xml": _table(changed)})
    page = admin.post(f"/admin/decisions/{KEY}/rollback/1", data={"csrf_token": admin.token, "reason": "门槛调错了"},
                      follow_redirects=True).text
    assert "版本 1 已重新部署为版本 3。" in page
    versions = _versions(session_factory)
    assert [v.version for v in versions] == [1, 2, 3]
    assert versions[2].comment == "rollback to v1: 门槛调错了" and versions[2].source_xml == versions[0].source_xml
    with session_factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.rolled_back")).one()
    assert event.reason == "门槛调错了" and event.data["new_version"] == 3 and event.data["to_version"] == 1
    # The latest version, or no reason: refused with a message, nothing deployed.
    latest = admin.post(f"/admin/decisions/{KEY}/rollback/3", data={"csrf_token": admin.token, "reason": "再来"},
                        follow_redirects=True).text
    assert "v3 已经是最新版本" in latest
    no_reason = admin.post(f"/admin/decisions/{KEY}/rollback/2", data={"csrf_token": admin.token, "reason": " "},
                           follow_redirects=True).text
    assert "请填写理由" in no_reason
    assert len(_versions(session_factory)) == 3


def test_the_versions_page_offers_download_diff_and_rollback(admin, deployed):
    _post(admin, "/admin/api/decisions/deploy", {"xml": _table([(["< 50"], ['"low"']), *RULES[1:]]), "comment": "二"})
    page = admin.get(f"/admin/decisions/{KEY}/versions").text
    assert f"/admin/decisions/{KEY}/versions/1.dmn" in page and f"/admin/decisions/{KEY}/diff?a=1&amp;b=2" in page
    assert f"/admin/decisions/{KEY}/rollback/1" in page and f"/admin/decisions/{KEY}/rollback/2" not in page
    assert "第一版" in page and "二" in page


# -- hostile XML and the template ------------------------------------------------------------------

HOSTILE = ('<?xml version="1.0"?><!DOCTYPE definitions [<!ENTITY boom "boom">]>'
           f'<definitions xmlns="{dmn.DMN_NS}" id="d" name="x" namespace="x"><decision id="evil" name="&boom;"/>'
           '</definitions>')


@pytest.mark.parametrize("path, status", [("/admin/api/decisions/deploy", 422), ("/admin/api/decisions/evaluate", 422),
                                          ("/admin/api/decisions/validate", 200)])
def test_hostile_xml_is_refused_naming_the_file(admin, session_factory, path, status):
    response = _post(admin, path, {"xml": HOSTILE, "variables": {}})
    assert response.status_code == status
    problem = response.json["problems"][0]
    assert problem["file"] == "decision.dmn" and problem["severity"] == "error"
    assert problem["message_en"].startswith("DOCTYPE declarations are not allowed in DMN files")
    assert problem["message"].startswith("DMN 文件中不允许 DOCTYPE 声明")
    assert _versions(session_factory, "evil") == []


def test_the_template_is_a_valid_table_with_one_input_output_and_rule(admin):
    response = admin.get("/admin/api/decisions/template")
    assert response.mimetype == "application/xml"
    xml = response.data
    assert b'xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"' in xml and b"dmndi:DMNDI" in xml
    (parsed,) = load_decisions(xml, "template.dmn")
    assert parsed.name == "新决策" and len(parsed.table.inputs) == len(parsed.table.outputs) == 1
    assert len(parsed.table.rules) == 1 and parsed.warnings == []
    assert admin.get("/admin/api/decisions/template").data != xml  # fresh ids each time


def test_a_decision_that_cannot_decide_is_an_incident_the_incidents_page_words_plainly(admin):
    from tests import bpmn_builder as b
    task = '<bpmn:businessRuleTask id="decide" name="定级" camunda:decisionRef="not_yet" camunda:resultVariable="r"/>'
    _engine(admin).deploy(b.process("decides", b.start(), task, b.end(), *b.chain("start", "decide", "end")))
    _engine(admin).start("decides", {})
    page = admin.get("/admin/incidents").get_data(as_text=True)
    assert "决策表无法判定" in page and "decision_error" not in page
