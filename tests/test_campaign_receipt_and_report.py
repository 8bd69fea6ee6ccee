"""The campaign's use of messages and external tasks (issue 15, item 6).

公安受理回执: a case transferred to the police (risk_disposal, 移送公安机关) waits for the police
system's acceptance receipt, the message `police_acceptance` correlated by the lead's number (the
instance's business key); five working days of silence give the special office 催告公安受理, where
it chases (and waits again) or enters a receipt that came on paper; a receipt arriving while the
office chases closes the chase. The receipt shows on the case's timeline in plain words.

报送办结情况: a closed lead's lead_handling waits (nobody's task) for the report worker
(`flask --app web report-worker`, domain/report_worker.py), which posts the report, signed, to the
superior platform through the webhook channel and completes the task; a failing platform gets
3 retries 1, 2 and 4 minutes apart, then an incident; without a platform the report is recorded.

Nothing of this shows an internal name (message, topic, process or element id) on a page.
"""
import hashlib
import hmac
import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.casefile import record_details
from domain.forms import load_form, validate_submission
from domain.leads import business_key_for, start_risk_disposal
from domain.models import Disposal, Lead, User
from domain.records import active_unit_codes
from domain.report_worker import TOPIC, PlatformSender, ReportWorker, backoff, build_report
from engine import events
from engine.store.models import AuditEvent, HumanTask, Incident, ProcessInstance, StepRecord, Timer
from engine.store.supervision_models import EscalationStep
from engine.store.wait_models import EventSubscription, ExternalTask
from engine.workcal import CHINA_TZ
from notifications.config import WebhookConfig
from notifications.testing import webhook_server
from tests import scenario_support as s
from tests.conftest import csrf_token, login
from tests.test_api import make_token
from tests.test_wording import Identifiers, visible_text

campaign = s.campaign  # the fixture: the four processes deployed, demo units and users

SECRET = "superior-platform-secret"
# Internal names of this feature that no page may show (beside the code's own, tests/test_wording.py).
INTERNAL = ("police_acceptance", "report-completion", "report_completion", "wait_police_receipt",
            "chase_police_receipt", "police_receipt_overdue", "police_receipt_while_chasing", "record_police_receipt",
            "risk_disposal", "lead_handling", "message.received", "external_task", "police.receipt_received",
            "lead.completion_reported", "superior_platform")


# -- 公安受理回执, through the engine ---------------------------------------------------------

def transferred(c, **receipt_free):
    """A lead dispatched to market regulation whose institution is disposed of and, suspected of a
    crime, transferred to the police: (lead, risk instance id)."""
    _instance, lead_id = c.dispatched_lead(unit="market")
    risk = c.start_risk_disposal(lead_id=lead_id)
    c.complete("assess_risk", s.assess("red", "suspected_crime"), risk)
    c.complete("fix_evidence", s.fix_evidence(), risk)
    c.complete("transfer_to_police", s.transfer_police(), risk)
    return c.get(Lead, lead_id), risk


def test_disposal_for_a_lead_carries_its_number_and_the_receipt_by_that_number_moves_it_on(campaign):
    c = campaign
    lead, risk = transferred(c)
    assert c.instance(risk).business_key == lead.number  # at start, not set afterwards
    assert c.open_elements(risk) == []  # waiting for the police's system, nobody's task
    [waiting] = c.all(EventSubscription, EventSubscription.instance_id == risk)
    assert (waiting.kind, waiting.name, waiting.element_id) == ("message", "police_acceptance", "wait_police_receipt")
    [timer] = c.all(Timer, Timer.instance_id == risk, Timer.status == "waiting")
    assert timer.element_id == "police_receipt_overdue"

    [where] = events.correlate(c.engine, "police_acceptance", c.actor("admin"), business_key=lead.number,
                               variables=s.police_receipt(accepted_on="2026-03-03T10:20:00+08:00"))
    assert (where.instance_id, where.started) == (risk, False)
    acceptance = c.task("police_acceptance", risk)
    assert acceptance.candidate_group_list == ["police"]
    assert c.get(Timer, timer.id).status == "cancelled" and c.all(EventSubscription) == []
    [receipt] = c.domain_events("police.receipt_received", lead_id=lead.id)
    assert (receipt.instance_id, receipt.actor) == (risk, "admin")
    assert receipt.data == {"receipt_no": "晋公（新）受字〔2026〕27号", "accepting_unit": "晋江市公安局新塘派出所",
                            "accepted_on": "2026-03-03", "paper": False, "subject_id": lead.subject_id,
                            "lead_id": lead.id}

    c.complete("police_acceptance", s.police_acceptance("filed"), risk, actor="police.officer")
    assert c.instance(risk).status == "completed" and c.incidents() == []
    [transfer] = c.all(Disposal, Disposal.lead_id == lead.id, Disposal.measure == "transfer_police")
    assert transfer.note.endswith("；受案回执 晋公（新）受字〔2026〕27号")


def test_a_receipt_is_refused_when_no_case_waits_for_it(campaign):
    c = campaign
    lead, risk = transferred(c)
    other, other_risk = transferred(c)
    with pytest.raises(events.MessageNotCorrelated):  # no case of that number waits
        events.correlate(c.engine, "police_acceptance", c.actor("admin"), business_key="XS-2026-999999",
                         variables=s.police_receipt())
    with pytest.raises(events.AmbiguousCorrelation):  # without the number: two cases wait
        events.correlate(c.engine, "police_acceptance", c.actor("admin"), variables=s.police_receipt())
    c.police_receipt(risk)
    assert c.open_elements(risk) == ["police_acceptance"] and c.open_elements(other_risk) == []
    with pytest.raises(events.MessageNotCorrelated):  # sent twice: the case no longer waits
        c.police_receipt(risk)
    c.police_receipt(other_risk, receipt_no="晋公（新）受字〔2026〕28号")
    assert [e.data["receipt_no"] for e in c.domain_events("police.receipt_received")] == [
        "晋公（新）受字〔2026〕27号", "晋公（新）受字〔2026〕28号"]
    assert other.number != lead.number


def test_a_receipt_without_its_number_is_an_incident_not_a_lost_message(campaign):
    c = campaign
    _lead, risk = transferred(c)
    c.police_receipt(risk, receipt_no=None)
    assert c.instance(risk).status == "error"
    [incident] = c.incidents()
    assert incident.element_id == "record_police_receipt" and "回执编号" in incident.message


def test_silence_for_five_working_days_makes_the_office_chase_and_a_receipt_while_chasing_closes_it(campaign):
    c = campaign
    lead, risk = transferred(c)
    transferred_at = c.clock.now()  # Monday 2 March 2026, 09:00 Beijing
    due = c.engine.calendar().add_workdays(transferred_at, 5)
    assert due.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") == "2026-03-09 18:00"
    c.move_to(due - timedelta(minutes=1))
    assert c.open_elements(risk) == []  # nothing yet
    c.move_to(due + timedelta(minutes=1))
    chase = c.task("chase_police_receipt", risk)
    assert chase.candidate_group_list == ["office"]
    assert c.engine.calendar().workdays_between(chase.created_at, chase.due_at) == 2  # P2WD, as the form says
    # the office's chase climbs the ladder like any task with a deadline
    assert {step.rung for step in c.all(EscalationStep, EscalationStep.task_id == chase.id)} >= {"reminder",
                                                                                                 "overdue"}
    assert c.all(EventSubscription, EventSubscription.instance_id == risk)[0].element_id == \
        "police_receipt_while_chasing"  # the police can still answer while the office chases

    # The office chases and waits again: five more working days, then another chase.
    c.complete("chase_police_receipt", s.chase_police("chased"), risk)
    assert c.open_elements(risk) == []
    [timer] = c.all(Timer, Timer.instance_id == risk, Timer.status == "waiting")
    assert timer.due_at == c.engine.calendar().add_workdays(c.clock.now(), 5)
    c.move_to(timer.due_at + timedelta(minutes=1))
    second = c.task("chase_police_receipt", risk)

    # The police's system answers while the office chases: the chase closes, the case moves on.
    c.police_receipt(risk, receipt_no="晋公（新）受字〔2026〕40号")
    assert c.get(HumanTask, second.id).status == "cancelled"
    assert c.open_elements(risk) == ["police_acceptance"]
    [receipt] = c.domain_events("police.receipt_received", lead_id=lead.id)
    assert receipt.data["receipt_no"] == "晋公（新）受字〔2026〕40号" and receipt.data["paper"] is False
    assert ("message.received", "police_receipt_while_chasing") in c.trail(risk)
    assert c.all(EscalationStep, EscalationStep.task_id == second.id, EscalationStep.status == "waiting") == []


def test_a_receipt_on_paper_is_entered_by_the_office_when_it_chases(campaign):
    c = campaign
    lead, risk = transferred(c)
    c.advance(days=8)
    task = c.complete("chase_police_receipt", s.chase_police("paper_receipt"), risk)
    assert c.open_elements(risk) == ["police_acceptance"]
    [receipt] = c.domain_events("police.receipt_received", lead_id=lead.id)
    assert (receipt.data["receipt_no"], receipt.data["accepted_on"], receipt.data["paper"], receipt.actor) == (
        "晋公（新）受字〔2026〕31号", "2026-03-10", True, "office.officer")
    [record] = c.all(StepRecord, StepRecord.task_id == task.id)
    assert record.values["receipt_no"] == "晋公（新）受字〔2026〕31号"
    # the paper receipt's fields are the office's step record, not a message: nothing waits any more
    assert c.all(EventSubscription, EventSubscription.instance_id == risk) == []
    c.complete("police_acceptance", s.police_acceptance("under_review"), risk, actor="police.officer")
    assert c.instance(risk).status == "completed"


def test_instances_started_for_a_lead_through_the_api_get_its_number(campaign):
    c = campaign
    _instance, lead_id = c.dispatched_lead()
    with c.session_factory() as session:
        number = session.get(Lead, lead_id).number
        assert business_key_for(session, "risk_disposal", {"lead_id": lead_id, "subject_id": 1}) == number
        assert business_key_for(session, "risk_disposal", {"lead_id": str(lead_id)}) == number
        assert business_key_for(session, "risk_disposal", {"subject_id": 1}) is None
        assert business_key_for(session, "rectification", {"lead_id": lead_id}) is None  # its item's number
        assert business_key_for(session, "risk_disposal", {"lead_id": True}) is None
    risk = start_risk_disposal(c.engine, c.actor("market.officer"), lead_id=lead_id)
    assert c.variables(risk)["responsible_unit"] == "market" and c.instance(risk).business_key == number


# -- 报送办结情况, the report worker --------------------------------------------------------

def test_the_report_names_the_case_and_never_the_reporter(campaign):
    c = campaign
    instance_id, lead_id = c.dispatched_lead(external_ref="12345-20260302-0107")
    c.complete("verify_lead", s.verify("substantiated"), instance_id)
    c.complete("feedback_lead", s.feedback(), instance_id)
    c.complete("review_feedback", s.review("accept"), instance_id)
    assert c.open_elements(instance_id) == [] and c.instance(instance_id).status == "running"
    with c.session_factory() as session:
        lead = session.get(Lead, lead_id)
        report = build_report(session, lead_id)
    assert report.title == f"线索办结情况报送：{lead.number}"
    assert report.text.splitlines() == [
        f"线索编号：{lead.number}", "来源编号：12345-20260302-0107", "线索来源：12345政务服务热线",
        f"涉及机构/企业：{s.SUBJECT_NAME}", f"统一社会信用代码：{s.SUBJECT_CODE}",
        "整治领域：涉老“食品”“保健品”涉诈和虚假宣传", "责任单位：新塘市场监督管理所", "核实结果：属实",
        "处置措施：警示约谈、责令整改", "追赃挽损金额：120000 元", "办结日期：2026-03-02", "报送单位：新塘街道专项办"]
    assert report.data["measures"] == ["警示约谈", "责令整改"] and report.data["closed_on"] == "2026-03-02"
    for secret in ("李建平", "13859961122", "已约谈负责人"):  # the reporter, and what the unit wrote
        assert secret not in report.text and secret not in str(report.data)


def test_a_failing_platform_is_tried_again_after_one_two_four_minutes_then_an_incident(campaign):
    c = campaign
    instance_id, lead_id = c.dispatched_lead()
    for step, data in (("verify_lead", s.verify()), ("feedback_lead", s.feedback()),
                       ("review_feedback", s.review("accept"))):
        c.complete(step, data, instance_id)
    number = c.get(Lead, lead_id).number
    with webhook_server() as hook:
        hook.status = 503
        sender = PlatformSender(hook.url, WebhookConfig(secret=SECRET, timeout=5, trust_env=False), now=c.clock.now)
        worker = ReportWorker(c.engine, sender, worker_id="w-test")
        assert worker.run_once().failed == [number]
        [row] = c.all(ExternalTask, ExternalTask.instance_id == instance_id)
        assert (row.retries, row.lock_expires_at, row.worker_id) == (3, c.clock.now() + timedelta(minutes=1), None)
        assert "HTTP 503" in row.error_message
        assert worker.run_once().handled == 0  # waiting out its back-off
        assert [backoff(n) for n in (3, 2, 1)] == [timedelta(minutes=m) for m in (1, 2, 4)]
        for waited, retries_left in ((1, 2), (2, 1), (4, 0)):
            c.clock.advance(timedelta(minutes=waited) - timedelta(seconds=1))
            assert worker.run_once().handled == 0  # not before its back-off is over
            c.clock.advance(timedelta(seconds=1))
            done = worker.run_once()
            assert (done.failed if retries_left else done.incidents) == [number]
            assert c.get(ExternalTask, row.id).retries == retries_left
        assert len(hook.requests) == 4  # the first try and three retries
        assert c.instance(instance_id).status == "error"
        [incident] = c.incidents()
        assert (incident.kind, incident.element_id) == ("failed_external_task", "report_completion")
        c.clock.advance(timedelta(hours=1))
        assert worker.run_once().handled == 0  # no retries left: nobody fetches it

        # The platform is back; the administrator retries: the report goes, the lead's process ends.
        hook.status = 200
        c.engine.retry(instance_id, c.actor("admin"), reason="上级平台已恢复")
        assert worker.run_once().sent == [number]
        assert len(hook.requests) == 5
    assert c.instance(instance_id).status == "completed"
    [reported] = c.domain_events("lead.completion_reported", lead_id=lead_id)
    assert reported.data["sent"] is True and reported.actor == "system"
    assert [e.data["retries"] for e in c.events(instance_id, "external_task.failed")] == [3, 2, 1, 0]


def test_a_platform_that_refuses_the_report_for_good_gets_an_incident_at_once(campaign):
    c = campaign
    instance_id, _lead_id = c.dispatched_lead()
    for step, data in (("verify_lead", s.verify()), ("feedback_lead", s.feedback()),
                       ("review_feedback", s.review("accept"))):
        c.complete(step, data, instance_id)
    with webhook_server() as hook:
        hook.status = 400
        sender = PlatformSender(hook.url, WebhookConfig(secret=SECRET, timeout=5, trust_env=False), now=c.clock.now)
        summary = ReportWorker(c.engine, sender).run_once()
    assert len(summary.incidents) == 1 and len(hook.requests) == 1
    assert c.instance(instance_id).status == "error" and "HTTP 400" in c.incidents()[0].message


# -- through the app: the CLI, the REST API and the pages ---------------------------------------

def _closed_leads_report(session_factory):
    """The demo's closed lead whose completion report still waits: (row, lead)."""
    with session_factory() as session:
        [row] = session.scalars(select(ExternalTask).where(ExternalTask.topic == TOPIC,
                                                           ExternalTask.status == "open")).all()
        return row, session.scalar(select(Lead).where(Lead.number == row.business_key))


@pytest.fixture
def no_proxy(monkeypatch):
    """The CLI's webhook trusts the environment's proxies (as production needs): none for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_report_worker_once_posts_the_signed_report_and_completes_the_task(demo, session_factory, no_proxy):
    row, lead = _closed_leads_report(session_factory)
    with webhook_server() as hook:
        demo.config.update(DUBAN_SUPERIOR_PLATFORM_URL=hook.url, DUBAN_WEBHOOK_SECRET=SECRET)
        result = demo.test_cli_runner().invoke(args=["report-worker", "--once", "--worker-id", "city-link-1"])
        assert result.exit_code == 0, result.output
        assert f"report worker city-link-1: posting to {hook.url}" in result.output
        assert "completion reports: 1 sent, 0 recorded without sending" in result.output
        assert "Traceback" not in result.output
        [request] = hook.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Duban-Signature"] == expected
    assert request.headers["X-Duban-Event"] == "lead.completion_report"
    payload = request.json()
    assert payload["title"] == f"线索办结情况报送：{lead.number}"
    assert f"线索编号：{lead.number}" in payload["body"] and f"涉及机构/企业：{lead.subject_display_name}" in payload["body"]
    assert "核实结果：属实" in payload["body"] and "处置措施：停止经营活动、责令整改" in payload["body"]
    closed_on = lead.closed_at.astimezone(CHINA_TZ).date().isoformat()
    assert payload["report"]["closed_on"] == closed_on and f"办结日期：{closed_on}" in payload["body"]
    assert payload["report"]["lead_number"] == lead.number and payload["link"].endswith(f"/leads/{lead.id}")
    with session_factory() as session:
        assert session.get(ExternalTask, row.id).status == "completed"
        instance = session.get(ProcessInstance, row.instance_id)
        assert instance.status == "completed"
        reporter = session.get(Lead, lead.id).reporter
        assert reporter is None or not any(value and value in request.body.decode() for value in (
            reporter.name, reporter.phone))
    again = demo.test_cli_runner().invoke(args=["report-worker", "--once"])
    assert "completion reports: 0 sent, 0 recorded without sending" in again.output


def test_report_worker_without_a_platform_records_the_report_and_says_so(demo, session_factory, caplog):
    row, lead = _closed_leads_report(session_factory)
    with caplog.at_level(logging.WARNING, logger="duban.report_worker"):
        result = demo.test_cli_runner().invoke(args=["report-worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "DUBAN_SUPERIOR_PLATFORM_URL is not set: recording reports unsent" in result.output
    assert "1 recorded without sending" in result.output
    assert any(lead.number in message and "not sent" in message for message in caplog.messages)
    with session_factory() as session:
        assert session.get(ProcessInstance, row.instance_id).status == "completed"
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == row.instance_id,
                                                           AuditEvent.action == "lead.completion_reported")).all()
        assert event.data["sent"] is False


def test_report_worker_with_a_platform_but_no_signing_key_stops_with_a_plain_message(demo):
    demo.config.update(DUBAN_SUPERIOR_PLATFORM_URL="https://platform.example.gov.cn/reports",
                       DUBAN_WEBHOOK_SECRET=None)
    result = demo.test_cli_runner().invoke(args=["report-worker", "--once"])
    assert result.exit_code != 0 and "DUBAN_WEBHOOK_SECRET is not" in result.output
    assert "Traceback" not in result.output


def test_the_worker_loop_reports_what_comes_until_it_is_stopped(demo, session_factory):
    row, _lead = _closed_leads_report(session_factory)
    worker = ReportWorker(demo.extensions["duban"].engine, worker_id="loop")
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        for _ in range(200):
            with session_factory() as session:
                if session.get(ExternalTask, row.id).status == "completed":
                    break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    with session_factory() as session:
        assert session.get(ExternalTask, row.id).status == "completed"


def _complete_as(app, task_id: int, username: str, raw: dict) -> None:
    """What the task page does with a submission (form validation, the step record)."""
    engine = app.extensions["duban"].engine
    with engine.session_factory() as session:
        task = session.get(HumanTask, task_id)
        user = session.scalar(select(User).where(User.username == username))
        form = load_form(task.form_key)
        values = validate_submission(form, raw, "zh", active_unit_codes(session))
        details, actor = record_details(form, values, user), user.to_actor()
    engine.claim(task_id, actor)
    engine.complete(task_id, actor, values, details)


def _open_task(session_factory, instance_id, element_id) -> int:
    with session_factory() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.element_id == element_id,
                                                         HumanTask.status == "open"))


def _transferred_demo_lead(app, session_factory):
    """A demo lead under verification whose institution market regulation disposes of and, suspected of
    a crime, transfers to the police: (lead, risk instance id)."""
    engine = app.extensions["duban"].engine
    with session_factory() as session:
        lead = session.scalars(select(Lead).where(Lead.status == "verifying", Lead.responsible_unit == "market",
                                                  Lead.subject_id.is_not(None)).order_by(Lead.id)).first()
        actor = session.scalar(select(User).where(User.username == "market.officer")).to_actor()
    risk = start_risk_disposal(engine, actor, lead_id=lead.id)
    for element, raw in (("assess_risk", s.assess("red", "suspected_crime")), ("fix_evidence", s.fix_evidence()),
                         ("transfer_to_police", s.transfer_police())):
        _complete_as(app, _open_task(session_factory, risk, element), "market.officer", raw)
    return lead, risk


def test_the_police_system_posts_its_receipt_to_engine_rest_and_the_case_file_shows_it(demo, client,
                                                                                         session_factory):
    lead, risk = _transferred_demo_lead(demo, session_factory)
    token = make_token(demo, "office.supervisor", "messages")
    body = {"messageName": "police_acceptance", "businessKey": lead.number, "resultEnabled": True,
            "processVariables": {"receipt_no": {"value": "晋公（新）受字〔2026〕55号", "type": "String"},
                                 "accepting_unit": {"value": "晋江市公安局新塘派出所", "type": "String"},
                                 "accepted_on": {"value": "2026-03-02", "type": "String"}}}
    response = client.post("/engine-rest/message", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()[0]["execution"]["processInstanceId"] == str(risk)
    acceptance = _open_task(session_factory, risk, "police_acceptance")
    assert acceptance is not None
    again = client.post("/engine-rest/message", json=body, headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 400  # nothing waits for a second receipt

    with session_factory() as session:
        names = Identifiers(session)
    receipt = "回执编号：晋公（新）受字〔2026〕55号；受理单位：晋江市公安局新塘派出所；受理日期：2026-03-02"
    pages = {}
    login(client, "office.officer")
    pages["case zh"] = client.get(f"/leads/{lead.id}").text
    timeline = visible_text(pages["case zh"].split('id="timeline"')[1].split("</ol>")[0])
    assert f"收到公安受理回执 {receipt}" in timeline and "收到外部消息 等待公安受理回执" in timeline
    client.get("/lang/en")
    pages["case en"] = client.get(f"/leads/{lead.id}").text
    assert "Police acceptance receipt received Receipt number: 晋公（新）受字〔2026〕55号" in visible_text(pages["case en"])
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "police.officer")
    pages["task zh"] = client.get(f"/tasks/{acceptance}").text
    assert receipt in visible_text(pages["task zh"])
    for page, html in pages.items():
        text = visible_text(html)
        assert not names.leaks(text, "en" if page.endswith("en") else "zh"), page
        assert not [name for name in INTERNAL if name in text], page


def test_a_chase_and_a_failed_report_read_in_plain_words(demo, client, session_factory, clock):
    """The office's chase on its inbox and the case page; a report the platform keeps refusing on the
    lead's timeline (the administrators' incidents page names the step)."""
    lead, risk = _transferred_demo_lead(demo, session_factory)
    engine = demo.extensions["duban"].engine
    clock.advance(timedelta(days=8))
    engine.fire_due_timers()
    chase = _open_task(session_factory, risk, "chase_police_receipt")
    _complete_as(demo, chase, "office.officer", s.chase_police("paper_receipt"))

    row, closed = _closed_leads_report(session_factory)
    with webhook_server() as hook:
        hook.status = 400
        sender = PlatformSender(hook.url, WebhookConfig(secret=SECRET, timeout=5, trust_env=False), now=engine.now)
        assert ReportWorker(engine, sender).run_once().incidents == [closed.number]

    with session_factory() as session:
        names = Identifiers(session)
    login(client, "office.officer")
    case = visible_text(client.get(f"/leads/{lead.id}").text)
    assert "收到公安受理回执 回执编号：晋公（新）受字〔2026〕31号" in case and "（纸质回执，专项办录入）" in case
    assert "催告公安受理" in case and "已收到纸质回执，录入回执" in case  # the office's step record
    failed = visible_text(client.get(f"/leads/{closed.id}").text)
    assert "外部系统多次办理失败，已转系统管理员处理" in failed and "报送办结情况" in failed
    assert "HTTP 400" not in failed
    for text in (case, failed):
        assert not names.leaks(text, "zh") and not [name for name in INTERNAL if name in text]
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "admin")
    incidents = client.get("/admin/incidents").text
    assert f"#{row.instance_id}" in incidents and "HTTP 400" in incidents
    with session_factory() as session:
        assert session.scalar(select(Incident.kind).where(Incident.instance_id == row.instance_id)) == \
            "failed_external_task"
