"""The case file (issue 13): step records written with each completion, shown to the next
handler, on the case page as the 流转意见 chain and read-only on finished tasks; the officer
goes straight on to their next step."""
import json

import pytest
from sqlalchemy import select

from domain import casefile
from domain.models import Lead
from engine.store.models import HumanTask, StepRecord
from tests import scenario_support as forms
from tests.conftest import login
from tests.test_web_tasks import TRIAGE, dispatched, get_task, open_task, post, switch_user, triage  # noqa: F401


def records(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(StepRecord).where(StepRecord.instance_id == instance_id)
                         .order_by(StepRecord.id)).all()


def lead_of(session_factory, instance_id) -> Lead:
    with session_factory() as s:
        return s.scalar(select(Lead).where(Lead.instance_id == instance_id))


def submit(client, task_id, data):
    response = post(client, f"/tasks/{task_id}/complete", data)
    assert response.status_code in (302, 303), response.text
    return response


def test_a_completion_keeps_what_was_submitted_with_the_handler_and_the_form_as_shown(
        client, session_factory, triage):
    dispatched(client, session_factory, triage)
    [record] = records(session_factory, triage.instance_id)
    assert record.task_id == triage.id and record.kind == "completed" and record.step_name == "研判分流"
    assert record.handler == "office.officer" and record.handler_name and record.unit_code == "office"
    assert record.values["responsible_unit"] == "market" and record.values["feedback_workdays"] == 15
    assert record.outcome == "dispatch" and record.opinion == TRIAGE["triage_opinion"]
    assert record.form["key"] == "lead/triage" and record.form_key == "lead/triage"


def test_a_refused_completion_leaves_no_record(client, session_factory, triage):
    login(client, "office.officer")
    response = post(client, f"/tasks/{triage.id}/complete", {**TRIAGE, "feedback_workdays": "abc"})
    assert response.status_code == 422
    assert records(session_factory, triage.instance_id) == []


def test_the_next_handler_sees_the_earlier_steps_and_the_reviewer_the_findings_in_full(
        client, session_factory, triage):
    accept = dispatched(client, session_factory, triage)
    switch_user(client, "market.officer")
    page = client.get(f"/tasks/{accept.id}").text
    earlier = page.split('id="step-records"', 1)[1].split('id="task-form"', 1)[0]
    assert "研判分流" in earlier and TRIAGE["triage_opinion"] in earlier and "新塘街道专项办" in earlier
    assert "office.officer" not in earlier and ">market<" not in earlier
    # The officer holds the next steps too: each submission lands on the next one.
    response = submit(client, accept.id, forms.accept())
    verify = open_task(session_factory, "verify_lead", instance_id=triage.instance_id)
    assert response.headers["Location"].endswith(f"/tasks/{verify.id}")
    response = submit(client, verify.id, forms.verify(findings="核查发现：以“免费体检”引流销售床垫。",
                                                      people_involved="61", amount_involved="723000"))
    feedback = open_task(session_factory, "feedback_lead", instance_id=triage.instance_id)
    assert response.headers["Location"].endswith(f"/tasks/{feedback.id}")
    submit(client, feedback.id, forms.feedback(risk_disposal_started="false", losses_recovered="45000"))
    review = open_task(session_factory, "review_feedback", instance_id=triage.instance_id)
    switch_user(client, "office.officer")
    page = client.get(f"/tasks/{review.id}").text
    earlier = page.split('id="step-records"', 1)[1].split('id="task-form"', 1)[0]
    verify_card = earlier.split('data-step="核实线索"', 1)[1].split('class="card mb-2', 1)[0]
    feedback_card = earlier.split('data-step="查办反馈"', 1)[1].split('class="card mb-2', 1)[0]
    # Reviewed in full (not folded): findings, people, amounts, measures as their labels.
    for seen in ("以“免费体检”引流销售床垫", "61", "723000", "属实"):
        assert seen in verify_card and "<details" not in verify_card, seen
    for seen in ("警示约谈", "责令整改", "45000", "已约谈负责人"):
        assert seen in feedback_card and "<details" not in feedback_card, seen
    # Steps it does not review are folded but still there.
    triage_card = earlier.split('data-step="研判分流"', 1)[1].split('class="card mb-2', 1)[0]
    assert "<details" in triage_card and TRIAGE["triage_opinion"] in triage_card


def test_the_case_page_shows_the_chain_and_finished_steps_open_read_only(client, session_factory, triage):
    accept = dispatched(client, session_factory, triage)
    switch_user(client, "market.officer")
    response = post(client, f"/tasks/{accept.id}/send-back", {"reason": "不属于本单位职责，请重新分流"})
    assert response.status_code in (302, 303)
    lead = lead_of(session_factory, triage.instance_id)
    page = client.get(f"/leads/{lead.id}").text
    chain = page.split('id="step-chain"', 1)[1].split("</section>", 1)[0]
    assert chain.index("研判分流") < chain.index("签收线索")
    assert "退回" in chain and "不属于本单位职责，请重新分流" in chain and "分流转交责任单位" in chain
    # The market officer may open the office's finished triage step from the chain: read-only.
    assert f'href="/tasks/{triage.id}"' in chain
    page = client.get(f"/tasks/{triage.id}")
    assert page.status_code == 200 and 'id="own-step-record"' in page.text
    assert 'id="task-form"' not in page.text and 'id="btn-complete"' not in page.text
    # An officer of a unit with no part in the case still cannot.
    switch_user(client, "health.officer")
    assert client.get(f"/tasks/{triage.id}").status_code == 404
    assert client.get(f"/leads/{lead.id}").status_code == 404


def test_a_delegates_work_is_a_record_of_its_own(client, session_factory, triage):
    login(client, "office.officer")
    post(client, f"/tasks/{triage.id}/delegate", {"reason": "请协助研判", "to_user": "market.officer"})
    switch_user(client, "market.officer")
    submit(client, triage.id, TRIAGE)
    [record] = records(session_factory, triage.instance_id)
    assert record.kind == "resolved" and record.handler == "market.officer" and record.unit_code == "market"
    with session_factory() as s:
        [entry] = casefile.step_chain(s, {triage.instance_id})
    assert entry["outcome"] == "分流转交责任单位" and entry["unit"] and "market" not in entry["unit"]


def test_after_the_last_step_of_mine_the_inbox_names_the_case(client, session_factory, triage):
    login(client, "office.officer")
    response = post(client, f"/tasks/{triage.id}/complete", TRIAGE, follow_redirects=True)
    lead = lead_of(session_factory, triage.instance_id)
    assert response.request.path == "/inbox/"
    assert "任务已办理完成" in response.text and lead.number in response.text and "研判分流" in response.text


def test_a_record_reads_with_the_form_the_handler_saw(client, session_factory, triage):
    dispatched(client, session_factory, triage)
    with session_factory() as s:
        record = s.scalar(select(StepRecord).where(StepRecord.task_id == triage.id))
        form = json.loads(json.dumps(record.form))
        for spec in form["fields"]:
            if spec["id"] == "triage_opinion":
                spec["label"] = {"zh": "当时的研判意见", "en": "Opinion then"}
        record.form = form
        s.commit()
        [entry] = casefile.step_chain(s, {triage.instance_id})
    assert any(field["label"] == "当时的研判意见" for field in entry["fields"])


@pytest.mark.parametrize("form_key", ["lead/review", "rectification/accept", "supervision/review"])
def test_review_forms_name_steps_of_their_process_and_an_outcome_field(form_key):
    from domain.forms import load_form
    form = load_form(form_key)
    assert form["reviews"] and casefile.outcome_field(form) is not None


def test_a_form_naming_a_missing_outcome_field_is_refused():
    from domain.forms import check_form
    problems = check_form({"fields": [{"id": "a", "type": "text"}], "outcome": "b", "reviews": "x"})
    assert any("outcome" in p for p in problems) and any("reviews" in p for p in problems)


def test_the_register_and_triage_button_lands_on_the_triage_step(client, session_factory):
    login(client, "office.officer")
    data = {"channel": "hotline_12345", "received_at": "2026-03-02T09:00", "summary": "12345热线：免费体检引流推销保健品",
            "subject_mode": "new", "subject_name": "新塘颐寿健康会所", "sector": "food_health_products", "then": "triage"}
    response = post(client, "/leads/new", data)
    assert response.status_code == 302, response.text
    with session_factory() as s:
        lead = s.scalar(select(Lead).where(Lead.subject_name == "新塘颐寿健康会所"))
        task = s.scalar(select(HumanTask).where(HumanTask.instance_id == lead.instance_id))
    assert response.headers["Location"].endswith(f"/tasks/{task.id}") and task.element_id == "triage_lead"


def test_the_api_gives_a_leads_step_records_in_words_and_completes_with_a_record(
        client, session_factory, triage, demo):
    from tests.test_api import make_token, auth
    office, health = make_token(demo, "office.officer"), make_token(demo, "health.officer")
    response = client.post(f"/api/v1/tasks/{triage.id}/complete", headers=auth(office),
                           json={"data": {**TRIAGE, "feedback_workdays": 15}})
    assert response.status_code == 200, response.get_json()
    lead = lead_of(session_factory, triage.instance_id)
    steps = client.get(f"/api/v1/leads/{lead.id}/steps", headers=auth(office)).get_json()
    [step] = steps
    assert step["step"] == "研判分流" and step["outcome"] == "分流转交责任单位" and step["unit"] == "新塘街道专项办"
    assert {"label": "责任单位", "value": "新塘市场监督管理所"}.items() <= next(
        f for f in step["fields"] if f["id"] == "responsible_unit").items()
    assert client.get(f"/api/v1/leads/{lead.id}/steps", headers=auth(health)).status_code == 404


def test_the_rectification_task_shows_the_items_problem_measures_person_and_deadline(client, session_factory):
    from domain.models import RectificationItem
    from engine.workcal import CHINA_TZ
    with session_factory() as s:
        task = s.scalars(select(HumanTask).where(HumanTask.element_id == "submit_rectification",
                                                 HumanTask.status == "open").order_by(HumanTask.id)).first()
        assert task is not None, "the demo has an open rectification"
        item = s.scalar(select(RectificationItem).where(RectificationItem.instance_id == task.instance_id))
        unit, problem, measures, person = item.responsible_unit, item.problem, item.measures, item.responsible_person
        deadline = item.deadline.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    login(client, f"{unit}.officer")
    page = client.get(f"/tasks/{task.id}").text
    panel = page.split('id="record-rectification"', 1)[1].split("</dl>", 1)[0]
    for seen in (problem, measures, person, deadline, "整改期限", "责任人"):
        assert seen in panel, seen


def test_the_api_lists_a_leads_documents_with_their_links(client, session_factory, triage, demo):
    from tests.test_api import auth, make_token
    dispatched(client, session_factory, triage)
    lead = lead_of(session_factory, triage.instance_id)
    page = client.get(f"/leads/{lead.id}").text
    assert 'value="assignment"' in page
    response = post(client, f"/leads/{lead.id}/documents", {"kind": "assignment", "target": "lead"})
    assert response.status_code in (302, 303), response.text
    office = make_token(demo, "office.officer")
    [document] = client.get(f"/api/v1/leads/{lead.id}/documents", headers=auth(office)).get_json()
    assert document["kind"] == "assignment" and "〔2026〕" in document["number"]
    docx = client.get(document["docx_url"])
    assert docx.status_code == 200 and docx.data[:2] == b"PK"


def test_a_comment_reads_on_the_case_page(client, session_factory, triage):
    login(client, "office.officer")
    post(client, f"/tasks/{triage.id}/comments", {"text": "请注意核实会销场地租赁合同"})
    lead = lead_of(session_factory, triage.instance_id)
    timeline = client.get(f"/leads/{lead.id}").text.split('id="timeline"', 1)[1]
    assert "请注意核实会销场地租赁合同" in timeline
