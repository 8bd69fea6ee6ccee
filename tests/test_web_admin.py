"""The administration pages and the modeler's JSON endpoints, through the Flask test client on the demo
data (processes deployed and demo instances started; the administrator is `admin`)."""
import json
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from engine.identity import Actor
from engine.lint import lint
from engine.store.models import AuditEvent, Incident, ProcessDefinition, ProcessInstance
from tests import bpmn_builder as b
from tests import dmn_builder as dmn
from tests.conftest import csrf_token, login

OFFICE_OFFICER = Actor("office.officer", groups=frozenset({"office"}), roles=frozenset({"officer"}))


def _engine(client):
    return client.application.extensions["duban"].engine


@pytest.fixture
def admin(client):
    login(client, "admin")
    client.token = csrf_token(client, "/admin/")
    return client


def _post_json(client, path, body, token=True):
    headers = {"X-CSRFToken": client.token} if token else {}
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


def _form(client, path, **data):
    return client.post(path, data={"csrf_token": client.token, **data}, follow_redirects=True)


def _good(process_id="web_proc", n=1, name="网页流程"):
    tasks = [b.user_task(f"t{i}", f"第{i}步", groups="office", due="P5WD", form_key="lead/verify")
             for i in range(1, n + 1)]
    ids = ["start"] + [f"t{i}" for i in range(1, n + 1)] + ["end"]
    return b.process(process_id, b.start(), *tasks, b.end(), *b.chain(*ids), name=name).decode()


def _versions(session_factory, process_id):
    with session_factory() as s:
        return s.scalars(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                         .order_by(ProcessDefinition.version).options(undefer(ProcessDefinition.source_xml))).all()


# -- who may ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/", "/admin/processes", "/admin/instances", "/admin/incidents",
                                  "/admin/processes/lead_handling/versions", "/admin/modeler"])
def test_pages_are_for_administrators_only(client, path):
    login(client, "office.supervisor")
    assert client.get(path).status_code == 403


def test_json_endpoints_answer_403_and_401_in_json(client):
    login(client, "office.leader")
    token = csrf_token(client)
    response = client.get("/admin/api/known-groups")
    assert response.status_code == 403 and response.is_json and response.json["status"] == 403
    assert response.json["error"] == response.json["message"] == "只有系统管理员可以执行此操作。"
    response = client.post("/admin/api/deploy", data=json.dumps({"xml": _good()}), content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 403 and response.is_json
    client.post("/logout", data={"csrf_token": token})
    response = client.get("/admin/api/template")
    assert response.status_code == 401 and response.is_json


# -- the modeler's JSON ----------------------------------------------------------------

def test_known_groups_lists_units_and_roles_with_chinese_names(admin):
    groups = admin.get("/admin/api/known-groups").json
    units = {u["code"]: u["name"] for u in groups["units"]}
    roles = {r["code"]: r["name"] for r in groups["roles"]}
    assert units["office"] == "新塘街道专项办" and units["market"] == "新塘市场监督管理所" and "community" in units
    assert roles == {"officer": "经办人员", "supervisor": "督导人员", "administrator": "系统管理员",
                     "office_leader": "专项办领导"}


def _grading_dmn(levels=("low", "high")) -> bytes:
    rules = [(["< 100"], [f'"{levels[0]}"']), ([">= 100"], [f'"{levels[1]}"'])]
    return dmn.definitions(dmn.decision("web_grading", [("金额", "amount", "double")], [("level", "string")], rules,
                                        name="网页分级"))


def _graded_process(attributes='camunda:resultVariable="level"') -> str:
    task = f'<bpmn:businessRuleTask id="grade" name="分级" camunda:decisionRef="web_grading" {attributes}/>'
    return b.process("web_graded", b.start(), task, b.end(), *b.chain("start", "grade", "end")).decode()


def test_known_decisions_lists_each_deployed_decision_with_its_versions(admin):
    _engine(admin).deploy_decisions(_grading_dmn(), "web_grading.dmn")
    _engine(admin).deploy_decisions(_grading_dmn(("low", "very high")), "web_grading.dmn")
    response = admin.get("/admin/api/known-decisions")
    assert response.status_code == 200 and response.is_json
    decisions = {d["key"]: d for d in response.json["decisions"]}
    assert decisions["web_grading"] == {"key": "web_grading", "name": "网页分级", "versions": [2, 1]}


def test_validate_warns_of_a_decision_that_is_not_deployed_in_chinese_on_its_field(admin):
    response = _post_json(admin, "/admin/api/validate", {"xml": _graded_process()})
    assert response.status_code == 200
    assert [(p["element_id"], p["rule"], p["severity"], p["message"]) for p in response.json["problems"]] == [
        ("grade", "decision-not-deployed", "warning",
         "使用的决策“web_grading”未部署：实例运行到此处将产生异常并停下，直到该决策部署")]
    version_two = _graded_process('camunda:resultVariable="level" camunda:decisionRefBinding="version" '
                                  'camunda:decisionRefVersion="2"')
    _engine(admin).deploy_decisions(_grading_dmn(), "web_grading.dmn")
    assert _post_json(admin, "/admin/api/validate", {"xml": _graded_process()}).json["problems"] == []
    assert [p["rule"] for p in _post_json(admin, "/admin/api/validate", {"xml": version_two}).json["problems"]] == [
        "decision-version-not-deployed"]
    # What only the API can do, and what Camunda would drop, is said too.
    deployment = _graded_process('camunda:resultVariable="level" camunda:decisionRefBinding="deployment"')
    no_result = _graded_process("")
    assert [p["rule"] for p in _post_json(admin, "/admin/api/validate", {"xml": deployment}).json["problems"]] == [
        "decision-deployment-binding"]
    assert [p["rule"] for p in _post_json(admin, "/admin/api/validate", {"xml": no_result}).json["problems"]] == [
        "decision-no-result"]


def test_the_template_is_a_valid_process_with_a_diagram_and_deploys(admin, session_factory):
    response = admin.get("/admin/api/template")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    xml = response.data
    assert b"bpmndi:BPMNShape" in xml and b"bpmndi:BPMNEdge" in xml
    assert b'camunda:candidateGroups="office"' in xml and b'camunda:dueDate="P5WD"' in xml
    assert b"camunda:formKey=" in xml
    process_id = re.search(rb'<bpmn:process id="([^"]+)"', xml).group(1).decode()
    assert lint(xml, "t.bpmn", {"office"}) == []
    validated = _post_json(admin, "/admin/api/validate", {"xml": xml.decode()})
    assert validated.status_code == 200 and validated.json["problems"] == []
    deployed = _post_json(admin, "/admin/api/deploy", {"xml": xml.decode(), "comment": "from the template"})
    assert deployed.status_code == 201
    assert deployed.json["process_id"] == process_id and deployed.json["version"] == 1 and deployed.json["created"]


def test_validate_lists_every_problem_with_element_severity_line_in_chinese(admin, session_factory):
    xml = b.process("bad", b.start(), b.user_task("t1", groups="nobody"), b.user_task("t2", groups=None, due="P1D"),
                    b.end(), *b.chain("start", "t1", "t2", "end")).decode()
    response = _post_json(admin, "/admin/api/validate", {"xml": xml})
    assert response.status_code == 200
    problems = response.json["problems"]
    assert {(p["element_id"], p["severity"]) for p in problems} >= {("t1", "error"), ("t2", "error"),
                                                                     ("t1", "warning")}
    assert all(set(p) >= {"element_id", "message", "severity", "line"} for p in problems)
    assert all(isinstance(p["line"], int) for p in problems)
    messages = {p["message"] for p in problems}
    assert "候选组“nobody”不是已知的单位代码或角色" in messages
    assert "用户任务没有设置期限（camunda:dueDate，例如 P5WD）" in messages
    assert response.json["errors"] == 3 and _versions(session_factory, "bad") == []


def test_deploy_refuses_errors_and_unaccepted_warnings_with_422_then_creates_a_version(admin, session_factory):
    broken = b.process("web_proc", b.start(), b.user_task("t1", groups="office"), b.end(),
                       *b.chain("start", "t1", "end")).decode()
    response = _post_json(admin, "/admin/api/deploy", {"xml": broken, "accept_warnings": True})
    assert response.status_code == 422 and any(p["severity"] == "error" for p in response.json["problems"])
    with_warning = b.process("web_proc", b.start(), b.user_task("t1", "核实", groups="office", due="P3WD"), b.end(),
                             *b.chain("start", "t1", "end")).decode()
    response = _post_json(admin, "/admin/api/deploy", {"xml": with_warning, "comment": "第一版"})
    assert response.status_code == 422 and [p["severity"] for p in response.json["problems"]] == ["warning"]
    assert _versions(session_factory, "web_proc") == []

    response = _post_json(admin, "/admin/api/deploy", {"xml": with_warning, "comment": "第一版",
                                                       "accept_warnings": True})
    assert response.status_code == 201
    assert response.json == {**response.json, "process_id": "web_proc", "version": 1, "created": True}
    response = _post_json(admin, "/admin/api/deploy", {"xml": _good(), "comment": "第二版"})
    assert response.status_code == 201 and response.json["version"] == 2
    again = _post_json(admin, "/admin/api/deploy", {"xml": _good(), "comment": "同样"})
    assert again.status_code == 200 and again.json["created"] is False and again.json["version"] == 2
    [v1, v2] = _versions(session_factory, "web_proc")
    assert (v1.comment, v1.deployed_by, v2.comment) == ("第一版", "admin", "第二版")


def test_json_posts_need_the_csrf_header_and_a_json_body(admin):
    response = _post_json(admin, "/admin/api/validate", {"xml": _good()}, token=False)
    assert response.status_code == 400 and response.is_json
    response = admin.post("/admin/api/validate", data="xml=1", headers={"X-CSRFToken": admin.token},
                          content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "xml" in response.json["message"]


def test_a_body_over_2_mb_is_refused_with_413_and_a_clear_message(admin, session_factory):
    xml = _good().replace("</bpmn:definitions>", "<!--" + "x" * (2 * 1024 * 1024) + "--></bpmn:definitions>")
    for path in ("/admin/api/deploy", "/admin/api/validate"):
        response = _post_json(admin, path, {"xml": xml, "accept_warnings": True})
        assert response.status_code == 413 and response.is_json
        assert "2 MB" in response.json["message"] and response.json["limit_bytes"] == 2 * 1024 * 1024
    assert _versions(session_factory, "web_proc") == []


def test_xxe_upload_is_refused(admin):
    xml = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           + _good().split("?>", 1)[1])
    response = _post_json(admin, "/admin/api/deploy", {"xml": xml, "accept_warnings": True})
    assert response.status_code == 422
    [problem] = response.json["problems"]
    assert "DOCTYPE" in problem["message"] and problem["severity"] == "error"


# -- versions, diff, rollback ------------------------------------------------------------

def test_processes_and_versions_pages_show_versions_with_who_when_and_running_counts(admin, session_factory):
    page = admin.get("/admin/processes")
    assert page.status_code == 200 and "流程" in page.text
    with session_factory() as s:
        running = len(s.scalars(select(ProcessInstance.id).where(ProcessInstance.process_id == "lead_handling",
                                                                 ProcessInstance.status == "running")).all())
    assert running
    row = re.search(r'<tr data-process-id="lead_handling">.*?</tr>', page.text, re.S).group(0)
    assert f'<td class="running-count"><a href="/admin/instances?process_id=lead_handling&amp;status=running">' \
           f'{running}</a>' in row
    page = admin.get("/admin/processes/lead_handling/versions")
    assert page.status_code == 200 and "版本" in page.text and "随系统安装部署" in page.text and "系统" in page.text
    assert admin.get("/admin/processes/nothing/versions").status_code == 404


def test_a_version_downloads_as_bpmn(admin, session_factory):
    response = admin.get("/admin/processes/lead_handling/versions/1.bpmn")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert 'filename="lead_handling_v1.bpmn"' in response.headers["Content-Disposition"]
    assert response.data == _versions(session_factory, "lead_handling")[0].source_xml
    assert admin.get("/admin/processes/lead_handling/versions/9.bpmn").status_code == 404


def test_diff_page_shows_added_removed_and_changed_elements(admin):
    _post_json(admin, "/admin/api/deploy", {"xml": _good(n=2)})
    v2 = _good(n=1).replace('camunda:dueDate="P5WD"', 'camunda:dueDate="P10WD"')
    _post_json(admin, "/admin/api/deploy", {"xml": v2.replace("第1步", "第一步")})
    page = admin.get("/admin/processes/web_proc/diff?a=1&b=2")
    assert page.status_code == 200 and "变更" in page.text
    assert re.search(r'id="diff-removed">.*data-element-id="t2"', page.text, re.S)
    assert re.search(r'id="diff-added">.*data-element-id="f_t1_end"', page.text, re.S)
    row = re.search(r'<tr data-element-id="t1" data-field="camunda:dueDate">.*?</tr>', page.text, re.S).group(0)
    assert "P5WD" in row and "P10WD" in row
    assert 'data-element-id="t1" data-field="name"' in page.text


def test_rollback_redeploys_an_old_version_with_a_comment(admin, session_factory):
    _post_json(admin, "/admin/api/deploy", {"xml": _good(n=1)})
    _post_json(admin, "/admin/api/deploy", {"xml": _good(n=2)})
    page = _form(admin, "/admin/processes/web_proc/rollback/1", reason="第二版有误")
    assert page.status_code == 200 and "重新部署为版本 3" in page.text
    v1, _v2, v3 = _versions(session_factory, "web_proc")
    assert v3.source_xml == v1.source_xml and v3.comment == "rollback to v1: 第二版有误"
    page = _form(admin, "/admin/processes/web_proc/rollback/1", reason="")
    assert "reason" in page.text


# -- instances and incidents --------------------------------------------------------------

def _failing_instance(client):
    engine = _engine(client)
    xml = b.process("calc", b.start(), b.user_task("enter", "录入", due="P1D", form_key="lead/verify"),
                    b.script_task("compute", "ratio = recovered / lost"),
                    b.user_task("review", "审核", due="P1D", form_key="lead/review"), b.end(),
                    *b.chain("start", "enter", "compute", "review", "end"))
    engine.deploy(xml)
    instance_id = engine.start("calc")
    with client.application.app_context():
        from engine.store.models import HumanTask
        from web.extensions import db
        task_id = db.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id))
    engine.complete(task_id, OFFICE_OFFICER, {"recovered": 5, "lost": 0})
    return instance_id


def test_incidents_page_lists_failures_and_retries_after_a_variable_fix(admin, session_factory):
    instance_id = _failing_instance(admin)
    page = admin.get("/admin/incidents")
    row = re.search(rf'<tr data-incident-id="\d+" data-instance-id="{instance_id}">.*?</tr>', page.text, re.S).group(0)
    assert "compute" in row and "ZeroDivisionError" in row and "脚本失败" in row
    page = _form(admin, f"/admin/instances/{instance_id}/retry", name="lost", value="10", reason="损失金额录错",
                 next="/admin/incidents")
    assert page.status_code == 200 and "已重新执行失败的步骤" in page.text and 'id="no-incidents"' in page.text
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "running"
        assert s.scalars(select(Incident.resolution).where(Incident.instance_id == instance_id)).all() == ["retried"]
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id,
                                                            AuditEvent.actor == "admin")
                            .order_by(AuditEvent.id)).all()
    assert actions == ["instance.variable_set", "incident.retried", "task.created"]


def test_a_bad_json_value_is_reported_and_nothing_changes(admin, session_factory):
    instance_id = _failing_instance(admin)
    page = _form(admin, f"/admin/instances/{instance_id}/retry", name="lost", value="ten", reason="x")
    assert "JSON" in page.text
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "error"


def test_cancel_from_the_incidents_page(admin, session_factory):
    instance_id = _failing_instance(admin)
    _form(admin, f"/admin/instances/{instance_id}/cancel", reason="重复线索", next="/admin/incidents")
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "cancelled"


def test_instances_page_filters_and_suspend_resume_with_reason(admin, session_factory):
    page = admin.get("/admin/instances?process_id=lead_handling&status=running")
    ids = [int(i) for i in re.findall(r'<tr data-instance-id="(\d+)" data-status="running">', page.text)]
    assert ids and "运行中" in page.text
    instance_id = ids[0]
    page = _form(admin, f"/admin/instances/{instance_id}/suspend", reason="单位调整", next="/admin/instances")
    assert "流程实例已暂停" in page.text
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "suspended"
    assert instance_id not in [int(i) for i in re.findall(
        r'data-instance-id="(\d+)" data-status="running"', admin.get("/admin/instances?status=running").text)]
    _form(admin, f"/admin/instances/{instance_id}/resume", reason="调整完成")
    with session_factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "running"
        events = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                    AuditEvent.action.in_(["instance.suspended", "instance.resumed"]))
                           .order_by(AuditEvent.id)).all()
    assert [(e.action, e.reason, e.actor) for e in events] == [("instance.suspended", "单位调整", "admin"),
                                                               ("instance.resumed", "调整完成", "admin")]
    page = _form(admin, f"/admin/instances/{instance_id}/suspend", reason="")
    assert "reason" in page.text


def test_instance_page_edits_a_variable_and_shows_the_audit_trail(admin, session_factory):
    with session_factory() as s:
        instance_id = s.scalars(select(ProcessInstance.id).where(ProcessInstance.status == "running")).first()
    page = _form(admin, f"/admin/instances/{instance_id}/variables", name="major", value="true", reason="列为重大线索")
    assert "已保存变量 major" in page.text
    page = admin.get(f"/admin/instances/{instance_id}")
    assert re.search(r'<tr data-variable="major">.*?true', page.text, re.S)
    assert 'data-action="instance.variable_set"' in page.text and "列为重大线索" in page.text


def test_migrate_page_dry_run_and_move(admin, session_factory):
    engine = _engine(admin)
    _post_json(admin, "/admin/api/deploy", {"xml": _good(n=1)})
    first = engine.start("web_proc")
    second = engine.start("web_proc")
    _post_json(admin, "/admin/api/deploy", {"xml": _good(n=2)})
    page = admin.get("/admin/processes/web_proc/migrate?from=1&to=2")
    assert page.status_code == 200 and "试运行" in page.text
    assert f'data-instance-id="{first}" data-can-migrate="yes"' in page.text
    page = _form(admin, "/admin/processes/web_proc/migrate", reason="增加第二步", **{"from": "1", "to": "2"})
    assert "2 个实例已迁移到版本 2" in page.text
    with session_factory() as s:
        assert {s.get(ProcessInstance, i).definition.version for i in (first, second)} == {2}
    page = admin.get("/admin/processes/web_proc/versions")
    assert re.search(r'<tr data-version="2">.*?<td class="running-count"><a [^>]*>2</a>', page.text, re.S)


def test_migrate_moves_only_the_ticked_instances_and_refuses_none_ticked(admin, session_factory):
    engine = _engine(admin)
    _post_json(admin, "/admin/api/deploy", {"xml": _good(n=1)})
    first, second = engine.start("web_proc"), engine.start("web_proc")
    _post_json(admin, "/admin/api/deploy", {"xml": _good(n=2)})
    page = admin.get("/admin/processes/web_proc/migrate?from=1&to=2")
    assert f'name="instance" value="{second}" form="migrate-form" checked' in page.text
    page = _form(admin, "/admin/processes/web_proc/migrate", reason="试点", selection="explicit",
                 **{"from": "1", "to": "2"})
    assert "instance：请至少勾选一个要迁移的实例。" in page.text
    page = _form(admin, "/admin/processes/web_proc/migrate", reason="试点", selection="explicit",
                 instance=str(second), **{"from": "1", "to": "2"})
    assert "1 个实例已迁移到版本 2" in page.text
    with session_factory() as s:
        assert [s.get(ProcessInstance, i).definition.version for i in (first, second)] == [1, 2]


def test_admin_index_links_and_modeler_page(admin):
    page = admin.get("/admin/")
    assert page.status_code == 200 and "系统管理" in page.text
    for path in ("/admin/processes", "/admin/instances", "/admin/incidents", "/admin/modeler"):
        assert f'href="{path}"' in page.text
    page = admin.get("/admin/processes/lead_handling/modeler")
    assert page.status_code == 200
    assert admin.get("/admin/processes/lead_handling/modeler?version=99").status_code == 404


def test_a_file_with_two_processes_deploys_both_and_says_so(admin, session_factory):
    first = _good("pair_first", name="第一流程")
    second = _good("pair_second", name="第二流程")
    body = second.split("<bpmn:process", 1)[1].rsplit("</bpmn:definitions>", 1)[0]
    # The second process's element ids must differ from the first's within one file.
    body = re.sub(r'(id|sourceRef|targetRef)="(?!pair_second)([^"]+)"', r'\1="p2_\2"', body)
    both = first.replace("</bpmn:definitions>", "<bpmn:process" + body + "</bpmn:definitions>")
    deployed = _post_json(admin, "/admin/api/deploy", {"xml": both, "accept_warnings": True})
    assert deployed.status_code == 201, deployed.json
    assert deployed.json["process_id"] == "pair_first"
    assert deployed.json["others"] == [{"process_id": "pair_second", "version": 1, "name": "第二流程", "created": True}]
    assert len(_versions(session_factory, "pair_second")) == 1
