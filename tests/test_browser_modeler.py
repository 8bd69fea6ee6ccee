"""The administrators' BPMN modeler (web/modeler/, templates/admin/modeler.html) in headless Chromium,
against the real /admin/api endpoints and the engine behind them."""
import re
import shutil
import subprocess
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.external_tasks import TopicRequest
from engine.store.models import HumanTask, ProcessDefinition, ProcessInstance
from tests import scenario_support as forms
from tests.browser_support import (browser, complete, live_server, open_task, page,  # noqa: F401
                                   screenshot, sign_in, sign_out)

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "web" / "modeler"
BUNDLE = ROOT / "web" / "static" / "build" / "modeler.js"
CATALOG = ROOT / "web" / "translations" / "modeler" / "zh" / "LC_MESSAGES" / "messages.po"
TEMPLATE = ROOT / "web" / "templates" / "admin" / "modeler.html"

# The new first step of lead handling, put on the flow from the start event to the triage merge.
ADD_TASK = """() => {
  const modeler = window.dubanModeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const start = registry.get('start_lead');
  const flow = registry.get('flow_start_lead_to_gw_triage_merge');
  modeling.moveElements([start], { x: -160, y: 0 });
  const shape = modeler.get('elementFactory').createShape({ type: 'bpmn:UserTask' });
  const task = modeling.createShape(shape, { x: 150, y: 280 }, start.parent);
  modeling.reconnectStart(flow, task, { x: task.x + task.width, y: 280 });
  modeling.connect(start, task);
  modeler.get('selection').select(task);
  return task.id;
}"""

SELECT = """(id) => {
  const modeler = window.dubanModeler;
  modeler.get('selection').select(modeler.get('elementRegistry').get(id));
}"""

SELECTED = "() => window.dubanModeler.get('selection').get().map(e => e.id)"

# A new element of `type` (with `id`) on the flow out of `after`: what follows moves right to make room.
INSERT = """([type, id, after, eventDefinitionType]) => {
  const modeler = window.dubanModeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const source = registry.get(after);
  const flow = source.outgoing[0];
  const target = flow.target;
  const x = target.x, y = source.y + source.height / 2;
  const downstream = registry.filter(e => !e.waypoints && e.type !== 'label' && e.parent === source.parent
                                          && e.x >= x);
  modeling.moveElements(downstream, { x: 180, y: 0 });
  const shape = modeler.get('elementFactory').createShape(eventDefinitionType ? { type, eventDefinitionType } : { type });
  const created = modeling.createShape(shape, { x: x + shape.width / 2, y }, source.parent);
  modeling.updateProperties(created, { id });
  modeling.reconnectEnd(flow, created, { x: created.x, y });
  modeling.connect(created, target);
  modeler.get('selection').select(created);
  return created.id;
}"""

# The model's value of an attribute of an element (after the panel's debounced input reached it).
ATTRIBUTE = "([id, name]) => window.dubanModeler.get('elementRegistry').get(id).businessObject.get(name) ?? null"


def _wait_for_attribute(page, element_id, name, value):
    page.wait_for_function(f"([id, name, value]) => ({ATTRIBUTE})([id, name]) === value", arg=[element_id, name, value])


def _wait_text(page, selector, text):
    """Wait until an element matching `selector` shows `text` (the panel re-renders after a check)."""
    page.wait_for_function("([selector, text]) => [...document.querySelectorAll(selector)]"
                           ".some(e => e.innerText.includes(text))", arg=[selector, text])


def _options(page, selector):
    return page.eval_on_selector_all(f"{selector} option", "options => options.map(o => o.value)")


def _checked(page):
    """Wait for the quiet check that follows a change (or opening a file) to be shown."""
    page.wait_for_function("""() => {
      const root = document.getElementById('modeler-app');
      return !root.dataset.checking && root.dataset.checked === String(window.dubanModelerPage.revision);
    }""")

# As Camunda Modeler 5 writes it: generated ids, modeler:* attributes, ${...} conditions,
# a working-day due date and a working-day boundary timer.
CAMUNDA_MODELER_FILE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_1k2m3n4" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.28.0" modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.22.0">
  <bpmn:process id="Process_spot_check" name="抽查复核" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:startEvent id="StartEvent_1" name="开始">
      <bpmn:outgoing>Flow_0a1b2c3</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="Activity_1x2y3z4" name="现场抽查" camunda:formKey="lead/verify" camunda:candidateGroups="market,civil_affairs" camunda:dueDate="P5WD" camunda:priority="60">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="escalation" value="reminder@80%; overdue@due" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_0a1b2c3</bpmn:incoming>
      <bpmn:outgoing>Flow_1d2e3f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="Event_0timer1" name="超期" cancelActivity="false" attachedToRef="Activity_1x2y3z4">
      <bpmn:outgoing>Flow_0late01</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerEventDefinition_0q1w2e3">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P2WD</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="Event_0late02" name="已提醒">
      <bpmn:incoming>Flow_0late01</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:exclusiveGateway id="Gateway_0g1h2i3" name="是否属实？" default="Flow_0default">
      <bpmn:incoming>Flow_1d2e3f4</bpmn:incoming>
      <bpmn:outgoing>Flow_0yes0001</bpmn:outgoing>
      <bpmn:outgoing>Flow_0default</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="Event_1yes" name="属实">
      <bpmn:incoming>Flow_0yes0001</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:endEvent id="Event_1no" name="不属实">
      <bpmn:incoming>Flow_0default</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_0a1b2c3" sourceRef="StartEvent_1" targetRef="Activity_1x2y3z4" />
    <bpmn:sequenceFlow id="Flow_1d2e3f4" sourceRef="Activity_1x2y3z4" targetRef="Gateway_0g1h2i3" />
    <bpmn:sequenceFlow id="Flow_0late01" sourceRef="Event_0timer1" targetRef="Event_0late02" />
    <bpmn:sequenceFlow id="Flow_0yes0001" name="属实" sourceRef="Gateway_0g1h2i3" targetRef="Event_1yes">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${result == 'substantiated' &amp;&amp; !empty findings}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_0default" name="不属实" sourceRef="Gateway_0g1h2i3" targetRef="Event_1no" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Process_spot_check">
      <bpmndi:BPMNShape id="_BPMNShape_StartEvent_2" bpmnElement="StartEvent_1"><dc:Bounds x="179" y="99" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_1x2y3z4_di" bpmnElement="Activity_1x2y3z4"><dc:Bounds x="270" y="77" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Gateway_0g1h2i3_di" bpmnElement="Gateway_0g1h2i3" isMarkerVisible="true"><dc:Bounds x="425" y="92" width="50" height="50" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_1yes_di" bpmnElement="Event_1yes"><dc:Bounds x="532" y="99" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_1no_di" bpmnElement="Event_1no"><dc:Bounds x="532" y="209" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_0late02_di" bpmnElement="Event_0late02"><dc:Bounds x="382" y="259" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_0timer1_di" bpmnElement="Event_0timer1"><dc:Bounds x="302" y="139" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_0a1b2c3_di" bpmnElement="Flow_0a1b2c3"><di:waypoint x="215" y="117" /><di:waypoint x="270" y="117" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1d2e3f4_di" bpmnElement="Flow_1d2e3f4"><di:waypoint x="370" y="117" /><di:waypoint x="425" y="117" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_0yes0001_di" bpmnElement="Flow_0yes0001"><di:waypoint x="475" y="117" /><di:waypoint x="532" y="117" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_0default_di" bpmnElement="Flow_0default"><di:waypoint x="450" y="142" /><di:waypoint x="450" y="227" /><di:waypoint x="532" y="227" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_0late01_di" bpmnElement="Flow_0late01"><di:waypoint x="320" y="175" /><di:waypoint x="320" y="277" /><di:waypoint x="382" y="277" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


@pytest.fixture(scope="module", autouse=True)
def modeler_bundle():
    """`./dev` builds the bundle (npm run build); rebuild here if a source is newer, so a plain
    pytest run after editing web/modeler/ tests what was edited."""
    sources = [p for p in SOURCES.rglob("*") if p.is_file() and p.relative_to(SOURCES).parts[0] != "test"]
    stale = not BUNDLE.exists() or max(p.stat().st_mtime for p in sources) > BUNDLE.stat().st_mtime
    if stale:
        if not (ROOT / "node_modules" / ".bin" / "esbuild").exists():
            pytest.fail("the modeler is not built and esbuild is missing: run ./dev setup")
        subprocess.run(["npm", "run", "--silent", "build"], cwd=ROOT, check=True, timeout=300)
    return BUNDLE


def _open_modeler(page, path):
    sign_in(page, "admin")
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(path)
    page.wait_for_selector('#modeler-app[data-state="ready"]')
    return errors


def _latest(session_factory, process_id):
    with session_factory() as session:
        return session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                               .order_by(ProcessDefinition.version.desc())).first()


def _latest_source(session_factory, process_id) -> str:
    with session_factory() as session:
        return session.scalars(select(ProcessDefinition.source_xml).where(ProcessDefinition.process_id == process_id)
                               .order_by(ProcessDefinition.version.desc())).first().decode()


def _open_tasks(session, instance_id):
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.status == "open")).all()


def _validate_and_wait(page):
    """Click 校验 and wait for its own answer (the status line may already show an earlier one)."""
    page.evaluate("() => { document.getElementById('modeler-status').dataset.kind = 'pending'; }")
    page.click("#btn-validate")
    page.wait_for_function("() => !['pending', 'info'].includes(document.getElementById('modeler-status').dataset.kind)")


def _deploy_and_wait(page):
    """Click 部署 and wait until the status line says how it went."""
    page.evaluate("() => { document.getElementById('modeler-status').dataset.kind = 'pending'; }")
    page.click("#btn-deploy")
    page.wait_for_function("() => document.getElementById('modeler-status').dataset.kind !== 'pending'")
    return page.inner_text("#modeler-status")


def test_admin_edits_lead_handling_and_only_new_leads_follow_the_new_version(page, demo, session_factory):
    engine = demo.extensions["duban"].engine
    assert _latest(session_factory, "lead_handling").version == 1
    with session_factory() as session:
        # A lead still waiting for 研判分流 (the office closes it on version 1 at the end).
        old = session.scalars(select(ProcessInstance).join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
                              .where(ProcessInstance.process_id == "lead_handling",
                                     ProcessInstance.status == "running", HumanTask.status == "open",
                                     HumanTask.element_id == "triage_lead")
                              .order_by(ProcessInstance.id)).first()
        old_tasks = sorted(task.element_id for task in _open_tasks(session, old.id))
    assert old_tasks

    errors = _open_modeler(page, "/admin/processes/lead_handling/modeler")
    assert "lead_handling" in page.inner_text("#modeler-source")
    assert page.locator('.djs-element[data-element-id="verify_lead"]').count() == 1
    assert page.inner_text("#modeler-properties").strip()  # the process's properties are shown

    # A new first step: the shape through the modeler's API, its properties through the panel.
    page.evaluate(ADD_TASK)
    page.wait_for_selector("#bio-properties-panel-id")
    page.fill("#bio-properties-panel-id", "review_registration")
    page.fill("#bio-properties-panel-name", "登记复核")
    page.click('#duban-group-picker input[data-group-code="office"]')
    page.wait_for_function(
        "() => document.querySelector('#bio-properties-panel-candidateGroups').value === 'office'")
    assert page.is_checked('#duban-group-picker input[data-group-code="office"]')
    assert "专项办" in page.inner_text("#duban-group-picker")
    # the office's working groups are offered by their names (domain.campaign), beside the units and roles
    working = page.locator('#duban-group-picker fieldset[data-kind="groups"]')
    assert "工作组" in working.inner_text() and "打击组" in working.inner_text()
    assert working.locator('input[data-group-code="group_strike"]').count() == 1
    page.fill("#bio-properties-panel-dueDate", "P3WD")
    page.wait_for_function("() => document.querySelector('[data-entry-id=\"dueDate\"]').innerText.includes('3 个工作日')")
    page.locator("#duban-group-picker").scroll_into_view_if_needed()
    screenshot(page, "modeler-user-task")
    page.select_option("#bio-properties-panel-formType", "formKey")
    page.fill("#bio-properties-panel-formKey", "lead/triage")
    page.fill("#bio-properties-panel-duban-escalation", "reminder@80%; overdue@due")
    # Inputs are debounced: wait for the model before selecting something else.
    page.wait_for_function("""() => {
      const task = window.dubanModeler.get('elementRegistry').get('review_registration').businessObject;
      const properties = (task.extensionElements?.values || []).find(v => v.$type === 'camunda:Properties');
      return task.get('camunda:formKey') === 'lead/triage'
        && properties?.values.some(p => p.name === 'escalation' && p.value === 'reminder@80%; overdue@due');
    }""")

    # A broken condition: listed with its element, the element marked red, nothing deployed.
    page.evaluate(SELECT, "flow_gw_major_to_supervise_major_lead")
    page.wait_for_selector("#bio-properties-panel-conditionExpression")
    page.fill("#bio-properties-panel-conditionExpression", "grade ==")
    page.wait_for_function("() => window.dubanModeler.get('elementRegistry').get("
                           "'flow_gw_major_to_supervise_major_lead').businessObject.conditionExpression.body"
                           " === 'grade =='")
    status = _deploy_and_wait(page)
    assert "未部署" in status
    flagged = {"gw_major", "flow_gw_major_to_supervise_major_lead"}
    listed = page.locator("#error-list li.problem")
    assert listed.count() >= 1
    ids = set(listed.evaluate_all("items => items.map(i => i.dataset.elementId)"))
    assert ids & flagged, page.inner_text("#error-list")
    marked = set(page.locator(".djs-element.has-error").evaluate_all("els => els.map(e => e.dataset.elementId)"))
    assert marked & flagged
    screenshot(page, "modeler-error")
    assert _latest(session_factory, "lead_handling").version == 1

    # Clicking the problem selects (and scrolls to) the element.
    listed.first.locator("a.problem-element").click()
    assert set(page.evaluate(SELECTED)) & flagged

    # Fixed, deployed: version 2.
    page.evaluate(SELECT, "flow_gw_major_to_supervise_major_lead")
    page.fill("#bio-properties-panel-conditionExpression", "${major == true}")
    page.wait_for_function("() => window.dubanModeler.get('elementRegistry').get("
                           "'flow_gw_major_to_supervise_major_lead').businessObject.conditionExpression.body"
                           " === '${major == true}'")
    page.fill("#deploy-comment", "增加登记复核")
    page.check("#accept-warnings")
    status = _deploy_and_wait(page)
    assert "版本 2" in status, status
    assert page.get_attribute("#deploy-result", "data-version") == "2"
    assert page.locator(".djs-element.has-error").count() == 0
    assert page.locator("#error-list li").count() == 0
    screenshot(page, "modeler-deployed")
    assert not errors, errors

    latest = _latest(session_factory, "lead_handling")
    assert latest.version == 2
    with session_factory() as session:
        xml = session.get(ProcessDefinition, latest.id).source_xml.decode()
    assert re.search(r'<bpmn:userTask id="review_registration" name="登记复核"[^>]*camunda:candidateGroups="office"', xml)
    assert 'camunda:dueDate="P3WD"' in xml and '<camunda:property name="escalation" value="reminder@80%; overdue@due"' in xml

    # A lead registered now starts on version 2 and waits at the new step ...
    csrf = page.get_attribute('meta[name="csrf-token"]', "content")
    response = page.request.post("/leads/new", max_redirects=0, form={
        "csrf_token": csrf, "channel": "hotline_12345", "received_at": "2026-03-02T08:30",
        "external_ref": "12345-20260302-0099", "summary": "来电反映某养生馆以免费体检为名向老人推销高价保健品。",
        "subject_mode": "new", "subject_name": "晋江市康寿源健康管理有限公司",
        "subject_credit_code": _credit_code("91350582MA8UB3C2X"), "sector": "food_health_products",
        "reporter_name": "王秀英", "reporter_phone": "13905951234", "reporter_contact": ""})
    assert response.status in (302, 303), response.text()
    with session_factory() as session:
        new = session.scalars(select(ProcessInstance).where(ProcessInstance.process_id == "lead_handling")
                              .order_by(ProcessInstance.id.desc())).first()
        assert new.id != old.id
        assert session.get(ProcessDefinition, new.definition_id).version == 2
        [task] = _open_tasks(session, new.id)
        assert (task.element_id, task.name, task.candidate_groups, task.form_key) == (
            "review_registration", "登记复核", "office", "lead/triage")
        expected_due = _add_workdays(engine, task.created_at, 3)
        assert _aware(task.due_at) == expected_due
        # ... while a lead started earlier stays on version 1 where it was.
        old = session.get(ProcessInstance, old.id)
        assert session.get(ProcessDefinition, old.definition_id).version == 1
        assert sorted(t.element_id for t in _open_tasks(session, old.id)) == old_tasks
        others = session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.process_id == "lead_handling", ProcessInstance.status == "running",
            ProcessInstance.definition_id == old.definition_id, ProcessInstance.id != old.id)
            .order_by(ProcessInstance.id)).all()
        assert others, "the demo has more than one lead in progress"
        moving = others[0]
        moving_tasks = sorted((t.element_id, t.due_at) for t in _open_tasks(session, moving))

    # Finally one other old lead is moved to version 2: the dry run lists it, only its box stays ticked.
    page.goto("/admin/processes/lead_handling/versions")
    page.click("text=迁移实例到 v2")
    page.wait_for_selector("#migration-plan")
    assert page.get_attribute(f'#migration-plan tr[data-instance-id="{moving}"]', "data-can-migrate") == "yes"
    for box in page.locator('#migration-plan input[name="instance"]').all():
        if box.get_attribute("value") != str(moving):
            box.uncheck()
    page.fill('#migrate-form input[name="reason"]', "登记复核试点")
    screenshot(page, "modeler-migrate-dry-run")
    page.click("#migrate-form button[type=submit]")
    page.wait_for_selector("text=1 个实例已迁移到版本 2")
    with session_factory() as session:
        moved = session.get(ProcessInstance, moving)
        assert session.get(ProcessDefinition, moved.definition_id).version == 2
        assert sorted((t.element_id, t.due_at) for t in _open_tasks(session, moving)) == moving_tasks
        for other in [old.id, *others[1:]]:
            instance = session.get(ProcessInstance, other)
            assert session.get(ProcessDefinition, instance.definition_id).version == 1
        old_number = session.get(ProcessInstance, old.id).business_key

    # The lead started earlier finishes on version 1: the office closes it from its inbox.
    sign_out(page)
    sign_in(page, "office.officer")
    open_task(page, "研判分流", old_number)
    complete(page, forms.triage_close("out_of_scope"))
    with session_factory() as session:
        finished = session.get(ProcessInstance, old.id)
        assert finished.status == "completed"
        assert session.get(ProcessDefinition, finished.definition_id).version == 1


def _credit_code(first17):
    from domain.demo import credit_code
    return credit_code(first17)


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _add_workdays(engine, start, days):
    from engine import workcal
    due = workcal.add_duration(_aware(start), f"P{days}WD", engine.calendar())
    assert due - _aware(start) >= timedelta(days=days)
    return due


def test_a_camunda_modeler_file_is_uploaded_validated_deployed_and_downloaded(page, session_factory, tmp_path):
    errors = _open_modeler(page, "/admin/modeler")
    assert "新建流程" in page.inner_text("#modeler-source")  # no process asked for: the template
    upload = tmp_path / "spot_check.bpmn"
    upload.write_text(CAMUNDA_MODELER_FILE, encoding="utf-8")
    page.set_input_files("#upload-input", str(upload))
    page.wait_for_function("() => document.getElementById('modeler-status').innerText.includes('spot_check.bpmn')")
    assert page.locator('.djs-element[data-element-id="Activity_1x2y3z4"]').count() == 1

    # The Duban entries read what Camunda Modeler wrote.
    page.evaluate(SELECT, "Activity_1x2y3z4")
    page.wait_for_selector('#duban-group-picker input[data-group-code="market"]')
    assert page.is_checked('#duban-group-picker input[data-group-code="market"]')
    assert page.is_checked('#duban-group-picker input[data-group-code="civil_affairs"]')
    assert not page.is_checked('#duban-group-picker input[data-group-code="office"]')
    assert "5 个工作日" in page.inner_text('[data-entry-id="dueDate"]')
    assert page.input_value("#bio-properties-panel-duban-escalation") == "reminder@80%; overdue@due"
    page.fill("#bio-properties-panel-dueDate", "P5DW")
    page.wait_for_selector('[data-entry-id="dueDate"] .bio-properties-panel-error')
    page.fill("#bio-properties-panel-dueDate", "P5WD")
    page.evaluate(SELECT, "Event_0timer1")
    assert "P15WD" in page.inner_text("#modeler-properties")  # the timer hint

    _validate_and_wait(page)
    assert page.get_attribute("#modeler-problems", "data-errors") == "0", page.inner_text("#modeler-problems")
    page.check("#accept-warnings")
    status = _deploy_and_wait(page)
    assert "Process_spot_check 版本 1" in status, status
    assert _latest(session_factory, "Process_spot_check").version == 1

    with page.expect_download() as download_info:
        page.click("#btn-download")
    download = download_info.value
    assert download.suggested_filename == "Process_spot_check.bpmn"
    saved = Path(download.path()).read_text(encoding="utf-8")
    assert 'camunda:candidateGroups="market,civil_affairs"' in saved
    assert "${result == 'substantiated' &amp;&amp; !empty findings}" in saved
    assert not errors, errors


def test_the_page_says_so_when_the_modeler_bundle_cannot_load(page):
    sign_in(page, "admin")
    page.route("**/modeler.js*", lambda route: route.fulfill(status=404, body="not built"))
    page.goto("/admin/modeler")
    page.wait_for_selector("#modeler-missing", state="visible")


def test_the_modeler_is_for_administrators_only(client):
    from tests.conftest import login
    login(client, "market.officer")
    assert client.get("/admin/modeler").status_code == 403


def test_the_modeler_helpers_pass_their_unit_tests():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: ./dev setup installs nodejs")
    result = subprocess.run([node, "--test", str(SOURCES / "test")], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_string_the_modeler_script_shows_is_in_the_page_and_the_chinese_catalog():
    used = set()
    for path in SOURCES.glob("*.js*"):
        text = path.read_text(encoding="utf-8")
        used |= {m.group(2).replace("\\'", "'") for m in re.finditer(r"\bt\((['])((?:\\.|(?!\1).)*)\1", text)}
        used |= {m.group(1) for m in re.finditer(r"key: '((?:\\.|[^'])*)'", text)}
        used |= set(re.findall(r"return '((?:[^'\\]|\\.)*\.)';", text))
    template = TEMPLATE.read_text(encoding="utf-8")
    keys = {key.replace('\\"', '"') for key in re.findall(r'^\s*"((?:[^"\\]|\\.)*)": _\(', template, re.M)}
    assert used - keys == set()
    from babel.messages.pofile import read_po
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    translated = {message.id for message in catalog if message.id and message.string}
    assert {key.replace("%", "%%") for key in keys} - translated == set()


# -- what runs: implementations, messages, called processes (issue 15) ---------------------------

def test_an_administrator_makes_a_service_task_external_with_a_topic_and_it_deploys_and_runs(
        page, demo, session_factory):
    engine = demo.extensions["duban"].engine
    errors = _open_modeler(page, "/admin/modeler")
    process_id = page.get_attribute("#modeler-app", "data-process-id")

    # A service task before the template's user task, named in the panel.
    page.evaluate(INSERT, ["bpmn:ServiceTask", "push_to_police", "StartEvent_1"])
    page.wait_for_selector("#bio-properties-panel-implementationType")
    page.fill("#bio-properties-panel-name", "推送公安")
    # Only what runs here is offered: no Java class, expression, delegate expression or connector.
    assert _options(page, "#bio-properties-panel-implementationType") == ["", "external"]
    assert "外部（External）" in page.inner_text('[data-entry-id="implementationType"]')
    assert "本系统只运行“外部”实现" in page.inner_text('[data-entry-id="duban-implementation-hint"]')
    # The quiet check after the change flags it on the element: red, with a badge, and on top of the panel.
    page.wait_for_selector('.duban-problem-badge[data-element-id="push_to_police"][data-severity="error"]')
    assert page.locator('.djs-element.has-error[data-element-id="push_to_police"]').count() == 1
    _wait_text(page, '[data-group-id="group-duban-problems"]', "服务任务没有设置实现方式")
    under_type = '[data-entry-id="implementationType"] .bio-properties-panel-error'
    _wait_text(page, under_type, "服务任务没有设置实现方式")
    screenshot(page, "modeler-service-task-no-implementation")

    # External, a topic and a priority, through the panel.
    page.select_option("#bio-properties-panel-implementationType", "external")
    page.wait_for_selector("#bio-properties-panel-externalTopic")
    page.wait_for_selector('[data-entry-id="externalTopic"] .bio-properties-panel-error')  # empty yet
    page.fill("#bio-properties-panel-externalTopic", "lead-push")
    _wait_for_attribute(page, "push_to_police", "camunda:topic", "lead-push")
    page.wait_for_selector("#bio-properties-panel-externalTaskPriority")
    page.fill("#bio-properties-panel-externalTaskPriority", "50")
    _wait_for_attribute(page, "push_to_police", "camunda:taskPriority", "50")
    _checked(page)
    assert page.locator('.duban-problem-badge[data-element-id="push_to_police"]').count() == 0
    assert page.locator(".djs-element.has-error").count() == 0
    page.wait_for_selector('[data-group-id="group-duban-problems"]', state="detached")
    assert "外部工作程序" in page.inner_text('[data-group-id="group-CamundaPlatform__Implementation"]')
    screenshot(page, "modeler-service-task-external")

    _validate_and_wait(page)
    problems = page.inner_text("#modeler-problems")
    assert page.get_attribute("#modeler-problems", "data-errors") == "0", problems
    assert page.get_attribute("#modeler-problems", "data-warnings") == "0", problems
    status = _deploy_and_wait(page)
    assert f"{process_id} 版本 1" in status, status
    assert not errors, errors

    assert _latest(session_factory, process_id).version == 1
    xml = _latest_source(session_factory, process_id)
    assert re.search(r'<bpmn:serviceTask id="push_to_police" name="推送公安"[^>]*camunda:type="external"', xml)
    assert 'camunda:topic="lead-push"' in xml and 'camunda:taskPriority="50"' in xml

    # It runs: a new instance waits at the service task until a worker fetches it by its topic.
    instance_id = engine.start(process_id, {"lead": "JJ-2026-0001"})
    [locked] = engine.external.fetch_and_lock("police-bridge", 5, [TopicRequest("lead-push", timedelta(minutes=5))])
    assert (locked.row.instance_id, locked.row.element_id, locked.row.priority) == (instance_id, "push_to_police", 50)
    assert locked.variables["lead"] == "JJ-2026-0001"


def _labels(page, selector):
    return page.eval_on_selector_all(f"{selector} option", "options => options.map(o => o.textContent)")


def test_a_business_rule_task_evaluates_a_decision_picked_in_the_panel_and_it_deploys_and_runs(
        page, demo, session_factory):
    from engine.admin_ops import AdminOperations
    from tests import dmn_builder as dmn
    engine = demo.extensions["duban"].engine
    engine.deploy_decisions(dmn.definitions(dmn.decision(
        "amount_grading", [("金额", "amount", "double")], [("level", "string")],
        [(["< 100"], ['"low"']), ([">= 100"], ['"high"'])], name="金额分级")), "amount_grading.dmn")
    errors = _open_modeler(page, "/admin/modeler")
    process_id = page.get_attribute("#modeler-app", "data-process-id")

    # A business rule task before the template's user task: DMN is offered beside External.
    page.evaluate(INSERT, ["bpmn:BusinessRuleTask", "grade_amount", "StartEvent_1"])
    page.wait_for_selector("#bio-properties-panel-implementationType")
    page.fill("#bio-properties-panel-name", "金额分级")
    assert _options(page, "#bio-properties-panel-implementationType") == ["", "dmn", "external"]
    assert "决策表（DMN）" in _labels(page, "#bio-properties-panel-implementationType")
    _wait_text(page, '[data-entry-id="implementationType"] .bio-properties-panel-error', "业务规则任务没有指定决策")

    # DMN with a key typed that is not deployed: a warning under the key.
    page.select_option("#bio-properties-panel-implementationType", "dmn")
    page.wait_for_selector("#bio-properties-panel-duban-decision")
    assert "金额分级" in _labels(page, "#bio-properties-panel-duban-decision")
    page.fill("#bio-properties-panel-decisionRef", "grading_draft")
    _wait_for_attribute(page, "grade_amount", "camunda:decisionRef", "grading_draft")
    _checked(page)
    _wait_text(page, '[data-entry-id="decisionRef"] .bio-properties-panel-error', "使用的决策“grading_draft”未部署")
    _wait_text(page, '[data-entry-id="decisionRefResultVariable"] .bio-properties-panel-error', "决策结果将被丢弃")
    screenshot(page, "modeler-business-rule-task-decision-not-deployed")

    # Picked from the deployed ones by its name, its key small beside; version 2 is not deployed.
    page.select_option("#bio-properties-panel-duban-decision", "amount_grading")
    _wait_for_attribute(page, "grade_amount", "camunda:decisionRef", "amount_grading")
    assert page.inner_text('[data-entry-id="duban-decision"] .duban-decision-key') == "amount_grading"
    assert _options(page, "#bio-properties-panel-decisionRefBinding") == ["latest", "deployment", "version"]
    assert _labels(page, "#bio-properties-panel-decisionRefBinding") == ["最新版本", "同一部署", "指定版本"]
    page.select_option("#bio-properties-panel-decisionRefBinding", "version")
    page.fill("#bio-properties-panel-decisionRefVersion", "2")
    _wait_for_attribute(page, "grade_amount", "camunda:decisionRefVersion", "2")
    _checked(page)
    _wait_text(page, '[data-entry-id="decisionRefVersion"] .bio-properties-panel-error', "版本 2，该版本未部署")
    page.fill("#bio-properties-panel-decisionRefVersion", "1")
    _wait_for_attribute(page, "grade_amount", "camunda:decisionRefVersion", "1")

    # The result variable, then how the result is mapped into it.
    page.fill("#bio-properties-panel-decisionRefResultVariable", "level")
    _wait_for_attribute(page, "grade_amount", "camunda:resultVariable", "level")
    page.wait_for_selector("#bio-properties-panel-mapDecisionResult")
    assert _labels(page, "#bio-properties-panel-mapDecisionResult") == ["结果列表", "单条结果", "单个值", "值列表"]
    page.select_option("#bio-properties-panel-mapDecisionResult", "singleEntry")
    _wait_for_attribute(page, "grade_amount", "camunda:mapDecisionResult", "singleEntry")
    _checked(page)
    assert page.locator('.duban-problem-badge[data-element-id="grade_amount"]').count() == 0
    screenshot(page, "modeler-business-rule-task-dmn")

    _validate_and_wait(page)
    problems = page.inner_text("#modeler-problems")
    assert page.get_attribute("#modeler-problems", "data-errors") == "0", problems
    assert page.get_attribute("#modeler-problems", "data-warnings") == "0", problems
    status = _deploy_and_wait(page)
    assert f"{process_id} 版本 1" in status, status
    assert not errors, errors
    xml = _latest_source(session_factory, process_id)
    assert re.search(r'<bpmn:businessRuleTask id="grade_amount" name="金额分级"[^>]*camunda:decisionRef="amount_grading"',
                     xml)
    for attribute in ('camunda:decisionRefBinding="version"', 'camunda:decisionRefVersion="1"',
                      'camunda:resultVariable="level"', 'camunda:mapDecisionResult="singleEntry"'):
        assert attribute in xml

    # It runs: a new instance gets its level from the table before the user task.
    instance_id = engine.start(process_id, {"amount": 500})
    assert AdminOperations(engine).variables(instance_id)["level"] == "high"


def test_the_panels_decision_bindings_and_mappings_are_the_engines():
    from engine.bpmn.task_parsers import BINDINGS
    from engine.dmn.task import RESULT_MAPPINGS
    syntax = (SOURCES / "syntax.js").read_text(encoding="utf-8")
    assert f"DECISION_BINDINGS = {list(BINDINGS)};" in syntax
    assert f"DECISION_MAPPINGS = {list(RESULT_MAPPINGS)};" in syntax


JAVA_FILE = CAMUNDA_MODELER_FILE.replace(
    '<bpmn:sequenceFlow id="Flow_0a1b2c3" sourceRef="StartEvent_1" targetRef="Activity_1x2y3z4" />',
    '<bpmn:serviceTask id="Activity_java" name="推送公安（Java）" camunda:class="cn.gov.duban.PushToPolice">'
    '<bpmn:incoming>Flow_0a1b2c3</bpmn:incoming><bpmn:outgoing>Flow_java</bpmn:outgoing></bpmn:serviceTask>'
    '<bpmn:serviceTask id="Activity_expr" name="登记" camunda:expression="${registry.save(lead)}">'
    '<bpmn:incoming>Flow_java</bpmn:incoming><bpmn:outgoing>Flow_expr</bpmn:outgoing></bpmn:serviceTask>'
    '<bpmn:sequenceFlow id="Flow_0a1b2c3" sourceRef="StartEvent_1" targetRef="Activity_java" />'
    '<bpmn:sequenceFlow id="Flow_java" sourceRef="Activity_java" targetRef="Activity_expr" />'
    '<bpmn:sequenceFlow id="Flow_expr" sourceRef="Activity_expr" targetRef="Activity_1x2y3z4" />'
).replace('<bpmn:incoming>Flow_0a1b2c3</bpmn:incoming>\n      <bpmn:outgoing>Flow_1d2e3f4</bpmn:outgoing>',
          '<bpmn:incoming>Flow_expr</bpmn:incoming>\n      <bpmn:outgoing>Flow_1d2e3f4</bpmn:outgoing>').replace(
    '<bpmndi:BPMNShape id="Activity_1x2y3z4_di" bpmnElement="Activity_1x2y3z4"><dc:Bounds x="270" y="77"',
    '<bpmndi:BPMNShape id="Activity_java_di" bpmnElement="Activity_java"><dc:Bounds x="250" y="300" width="100" '
    'height="80" /></bpmndi:BPMNShape><bpmndi:BPMNShape id="Activity_expr_di" bpmnElement="Activity_expr">'
    '<dc:Bounds x="400" y="300" width="100" height="80" /></bpmndi:BPMNShape>'
    '<bpmndi:BPMNShape id="Activity_1x2y3z4_di" bpmnElement="Activity_1x2y3z4"><dc:Bounds x="270" y="77"')


def test_java_service_tasks_are_flagged_on_their_elements_before_deploy(page, session_factory, tmp_path):
    assert JAVA_FILE.count("Activity_java") == 5 and "Flow_expr</bpmn:incoming>" in JAVA_FILE
    errors = _open_modeler(page, "/admin/modeler")
    upload = tmp_path / "spot_check_java.bpmn"
    upload.write_text(JAVA_FILE, encoding="utf-8")
    page.set_input_files("#upload-input", str(upload))
    page.wait_for_function("() => document.getElementById('modeler-status').innerText.includes('spot_check_java')")

    # Opening the file checks it: both Java tasks are marked at once, nothing clicked yet.
    _checked(page)
    for element_id in ("Activity_java", "Activity_expr"):
        page.wait_for_selector(f'.duban-problem-badge[data-element-id="{element_id}"][data-severity="error"]')
        assert page.locator(f'.djs-element.has-error[data-element-id="{element_id}"]').count() == 1
    listed = set(page.locator("#error-list li.problem").evaluate_all("items => items.map(i => i.dataset.elementId)"))
    assert listed == {"Activity_java", "Activity_expr"}, page.inner_text("#error-list")
    assert "camunda:class（Java 代码）" in page.inner_text("#error-list")

    # The panel shows the Java class as it is, marked, with the problem under the implementation.
    page.evaluate(SELECT, "Activity_java")
    page.wait_for_selector('[data-entry-id="implementationType"] .bio-properties-panel-error')
    assert _options(page, "#bio-properties-panel-implementationType") == ["external", "class"]
    assert page.input_value("#bio-properties-panel-implementationType") == "class"
    assert "Java 类（无法运行）" in page.inner_text('[data-entry-id="implementationType"]')
    assert page.input_value("#bio-properties-panel-javaClass") == "cn.gov.duban.PushToPolice"
    under_type = '[data-entry-id="implementationType"] .bio-properties-panel-error'
    assert "camunda:class（Java 代码）" in page.inner_text(under_type)
    screenshot(page, "modeler-java-class-flagged")

    status = _deploy_and_wait(page)
    assert "未部署" in status and "2 个错误" in status, status
    assert _latest(session_factory, "Process_spot_check") is None

    # One made External: its mark goes with the next check, the other stays.
    page.select_option("#bio-properties-panel-implementationType", "external")
    page.fill("#bio-properties-panel-externalTopic", "lead-push")
    _wait_for_attribute(page, "Activity_java", "camunda:topic", "lead-push")
    assert page.evaluate(ATTRIBUTE, ["Activity_java", "camunda:class"]) is None
    _checked(page)
    assert page.locator('.duban-problem-badge[data-element-id="Activity_java"]').count() == 0
    assert page.locator('.duban-problem-badge[data-element-id="Activity_expr"]').count() == 1
    assert page.get_attribute("#modeler-problems", "data-errors") == "1"
    assert not errors, errors


def test_call_activities_receive_and_send_tasks_are_set_up_in_the_panel(page, session_factory):
    errors = _open_modeler(page, "/admin/modeler")
    process_id = page.get_attribute("#modeler-app", "data-process-id")

    # A call activity: the deployed processes to pick from, the bindings that run here.
    page.evaluate(INSERT, ["bpmn:CallActivity", "call_verify", "Task_1"])
    page.wait_for_selector("#bio-properties-panel-duban-called-process")
    assert "lead_handling" in _options(page, "#bio-properties-panel-duban-called-process")
    assert _options(page, "#bio-properties-panel-calledElementBinding") == ["latest", "deployment", "version"]
    page.wait_for_selector('.duban-problem-badge[data-element-id="call_verify"]')
    _wait_text(page, '[data-entry-id="calledElement"]', "调用活动没有指定要调用的流程")
    page.fill("#bio-properties-panel-calledElement", "verify_onsite")  # not deployed: a warning
    _wait_for_attribute(page, "call_verify", "calledElement", "verify_onsite")
    _checked(page)
    _wait_text(page, '[data-entry-id="calledElement"]', "既不在本文件中也未部署")
    assert page.get_attribute(".duban-problem-badge[data-element-id='call_verify']", "data-severity") == "warning"
    page.select_option("#bio-properties-panel-duban-called-process", "lead_handling")
    _wait_for_attribute(page, "call_verify", "calledElement", "lead_handling")
    page.select_option("#bio-properties-panel-calledElementBinding", "version")
    page.fill("#bio-properties-panel-calledElementVersion", "1")
    _wait_for_attribute(page, "call_verify", "camunda:calledElementVersion", "1")
    _wait_text(page, '[data-entry-id="calledElementVersion"]', "lead_handling 已部署的版本：1")
    assert page.locator('[data-group-id="group-CamundaPlatform__InMapping"]').count() == 1
    page.check("#bio-properties-panel-inMapping-propagation")
    screenshot(page, "modeler-call-activity")

    # A receive task: a new message, named in the panel; nobody sends it yet: a note, not a warning.
    page.evaluate(INSERT, ["bpmn:ReceiveTask", "wait_receipt", "call_verify"])
    page.wait_for_selector("#bio-properties-panel-messageRef")
    page.select_option("#bio-properties-panel-messageRef", "create-new")
    page.wait_for_selector("#bio-properties-panel-messageName")
    page.fill("#bio-properties-panel-messageName", "公安受理回执")
    page.wait_for_function("() => window.dubanModeler.get('elementRegistry').get('wait_receipt')"
                           ".businessObject.messageRef?.name === '公安受理回执'")
    assert "POST /engine-rest/message" in page.inner_text('[data-entry-id="duban-message-hint"]')
    _checked(page)
    assert page.get_attribute("#modeler-problems", "data-errors") == "0", page.inner_text("#modeler-problems")
    assert page.get_attribute("#modeler-problems", "data-notes") == "1"
    assert "只能由其他系统通过 POST /engine-rest/message 投递" in page.inner_text("#note-list")

    # A send task in the same process sends it (Camunda 7's panel has no message for send tasks): no note.
    page.evaluate(INSERT, ["bpmn:SendTask", "send_receipt", "call_verify"])
    page.wait_for_selector("#bio-properties-panel-messageRef")
    assert _options(page, "#bio-properties-panel-implementationType") == ["", "external"]
    message_id = page.evaluate("() => window.dubanModeler.get('elementRegistry').get('wait_receipt')"
                               ".businessObject.messageRef.id")
    page.select_option("#bio-properties-panel-messageRef", message_id)
    page.wait_for_function("() => window.dubanModeler.get('elementRegistry').get('send_receipt')"
                           ".businessObject.messageRef?.name === '公安受理回执'")
    _checked(page)
    assert page.get_attribute("#modeler-problems", "data-notes") == "0", page.inner_text("#modeler-problems")
    screenshot(page, "modeler-send-and-receive")

    # A signal catch event: a new signal, named; nobody throws it: a warning on the element.
    page.evaluate(INSERT, ["bpmn:IntermediateCatchEvent", "wait_campaign_end", "send_receipt",
                           "bpmn:SignalEventDefinition"])
    page.wait_for_selector("#bio-properties-panel-signalRef")
    page.select_option("#bio-properties-panel-signalRef", "create-new")
    page.wait_for_selector("#bio-properties-panel-signalName")
    page.fill("#bio-properties-panel-signalName", "专项行动结束")
    page.wait_for_function("() => window.dubanModeler.get('elementRegistry').get('wait_campaign_end').businessObject"
                           ".eventDefinitions[0].signalRef?.name === '专项行动结束'")
    assert "POST /engine-rest/signal" in page.inner_text('[data-entry-id="duban-signal-hint"]')
    _checked(page)
    assert page.get_attribute(".duban-problem-badge[data-element-id='wait_campaign_end']", "data-severity") == "warning"
    assert "只能通过 POST /engine-rest/signal 发送" in page.inner_text("#warning-list")
    _wait_text(page, '[data-group-id="group-duban-problems"]', "只能通过 POST /engine-rest/signal 发送")
    screenshot(page, "modeler-signal-never-thrown")

    page.fill("#deploy-comment", "回执")
    page.check("#accept-warnings")
    status = _deploy_and_wait(page)
    assert f"{process_id} 版本 1" in status, status
    xml = _latest_source(session_factory, process_id)
    assert re.search(r'<bpmn:callActivity id="call_verify"[^>]*calledElement="lead_handling"', xml)
    assert 'camunda:calledElementBinding="version"' in xml and 'camunda:calledElementVersion="1"' in xml
    assert '<camunda:in variables="all" />' in xml
    assert re.search(r'<bpmn:sendTask id="send_receipt"[^>]*messageRef="' + message_id, xml)
    assert re.search(r'<bpmn:receiveTask id="wait_receipt"[^>]*messageRef="' + message_id, xml)
    assert re.search(r'<bpmn:signal id="[^"]+" name="专项行动结束"', xml)
    assert not errors, errors


# -- the check behind the modeler knows what is deployed (web/admin.py) -------------------------

EVENT_ROOTS = ('<bpmn:message id="m_receipt" name="公安受理回执"/><bpmn:message id="m_other" name="撤回"/>'
               '<bpmn:signal id="s_done" name="专项行动结束"/>')


def _with_roots(xml: bytes) -> bytes:
    return xml.replace(b"<bpmn:process ", EVENT_ROOTS.encode() + b"<bpmn:process ", 1)


def test_the_check_behind_the_modeler_knows_what_is_deployed_and_sends(client):
    import json

    from tests import bpmn_builder as b
    from tests.conftest import csrf_token, login
    login(client, "admin")
    token = csrf_token(client, "/admin/")

    def post(path, body):
        return client.post(path, data=json.dumps(body), content_type="application/json",
                           headers={"X-CSRFToken": token})

    sender = _with_roots(b.process(
        "police_bridge", b.start(), '<bpmn:sendTask id="send_receipt" name="回执" messageRef="m_receipt"/>',
        '<bpmn:intermediateThrowEvent id="done"><bpmn:signalEventDefinition signalRef="s_done"/>'
        '</bpmn:intermediateThrowEvent>', b.end(), *b.chain("start", "send_receipt", "done", "end")))
    client.application.extensions["duban"].engine.deploy(sender, "police_bridge.bpmn")

    receiver = _with_roots(b.process(
        "receiver", b.start(), '<bpmn:callActivity id="call_bridge" calledElement="police_bridge"/>',
        '<bpmn:callActivity id="call_nowhere" calledElement="nowhere"/>',
        '<bpmn:receiveTask id="wait_receipt" messageRef="m_receipt"/>',
        '<bpmn:receiveTask id="wait_other" messageRef="m_other"/>',
        '<bpmn:intermediateCatchEvent id="wait_done"><bpmn:signalEventDefinition signalRef="s_done"/>'
        '</bpmn:intermediateCatchEvent>',
        '<bpmn:serviceTask id="java" camunda:class="cn.gov.Push"/>', b.end(),
        *b.chain("start", "call_bridge", "call_nowhere", "wait_receipt", "wait_other", "wait_done", "java", "end")))
    response = post("/admin/api/validate", {"xml": receiver.decode()})
    assert response.status_code == 200
    found = {(p["element_id"], p["rule"], p["severity"]) for p in response.json["problems"]}
    assert found == {("call_nowhere", "call-not-deployed", "warning"), ("wait_other", "message-external", "info"),
                     ("java", "java-implementation", "error")}
    assert (response.json["errors"], response.json["warnings"], response.json["notes"]) == (1, 1, 1)
    messages = {p["rule"]: p["message"] for p in response.json["problems"]}
    assert messages["message-external"] == ("本文件和已部署的流程都不发送消息“撤回”："
                                            "只能由其他系统通过 POST /engine-rest/message 投递")
    assert messages["java-implementation"].startswith("使用了 camunda:class（Java 代码），本系统无法运行")

    # Deploying says the same: the warning holds it up until accepted; the note never does.
    fixed = receiver.replace(b'camunda:class="cn.gov.Push"', b'camunda:type="external" camunda:topic="push"')
    response = post("/admin/api/deploy", {"xml": fixed.decode()})
    assert response.status_code == 422
    assert {p["rule"] for p in response.json["problems"]} == {"call-not-deployed", "message-external"}
    response = post("/admin/api/deploy", {"xml": fixed.decode(), "accept_warnings": True})
    assert response.status_code == 201, response.json
    assert {p["rule"] for p in response.json["problems"]} == {"call-not-deployed", "message-external"}
    # The loader's own checks carry no rule.
    response = post("/admin/api/validate", {"xml": "<bpmn:definitions"})
    assert [p["rule"] for p in response.json["problems"]] == [None]


def test_every_lint_message_has_its_chinese():
    from babel.messages.pofile import read_po

    from engine.lint import MESSAGES
    with (ROOT / "web" / "translations" / "admin" / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {message.id: message.string for message in catalog if message.id and message.string}
    assert [rule for rule, template in MESSAGES.items() if template not in translated] == []
    for template in MESSAGES.values():
        assert set(re.findall(r"\{(\w+)", template)) == set(re.findall(r"\{(\w+)", translated[template])), template
