"""Helpers for the scenario tests: the campaign's four real processes run
through the real engine, with the real service functions, demo units and
users, and task data validated by the task's form as the web app will.

    campaign = Campaign(session_factory, clock)
    lead_instance, lead_id = campaign.start_lead(subject_name=..., ...)
    campaign.complete("triage_lead", {...}, instance_id=lead_instance)

`complete` finds the one open task of an element, picks a demo user of the
task's first candidate group (or takes the one given), validates `raw` with
`domain.forms.validate_submission(load_form(task.form_key), raw, locale)`,
claims the task and completes it with the validated values.
"""
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from domain.demo import create_units, create_users, credit_code
from domain.directory import CampaignDirectory
from domain.forms import load_form, validate_submission
from domain.leads import register_lead, start_risk_disposal
from domain.models import (
    AccountabilityRecord,
    Disposal,
    Lead,
    NumberCounter,
    RectificationItem,
    Reporter,
    RiskAssessment,
    Subject,
    SupervisionCase,
    User,
)
from domain.records import active_unit_codes
from domain.report_worker import ReportWorker
from domain.services import make_service_functions
from engine import events
from engine.escalation import Escalator
from engine.runtime import Engine
from engine.store.models import AuditEvent, HumanTask, Incident, ProcessInstance, Timer
from engine.workcal import CHINA_TZ

PROCESS_DIR = Path(__file__).resolve().parents[1] / "processes"
PROCESS_IDS = ("lead_handling", "risk_disposal", "rectification", "supervision")

# A subject the flagship lead is about (not in the demo data: registering the lead creates it).
SUBJECT_NAME = "晋江市康寿源健康管理有限公司"
SUBJECT_CODE = credit_code("91350582MA8UB3C2X")

# Tables a rejected submission must not touch.
COUNTED = {
    "lead": Lead, "reporter": Reporter, "subject": Subject, "risk_assessment": RiskAssessment,
    "disposal": Disposal, "rectification_item": RectificationItem, "supervision_case": SupervisionCase,
    "accountability_record": AccountabilityRecord, "process_instance": ProcessInstance,
    "human_task": HumanTask, "timer": Timer, "audit_event": AuditEvent, "incident": Incident,
    "number_counter": NumberCounter,
}


def beijing(year, month, day, hour=9, minute=0) -> datetime:
    """An aware UTC datetime for a Beijing wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ).astimezone(timezone.utc)


def local_date(moment: datetime):
    return moment.astimezone(CHINA_TZ).date()


class RecordingNotify:
    """Stands in for the notifications package: remembers whom the ladder told what."""

    def __init__(self):
        self.calls = []

    def __call__(self, session, event_key, kind, usernames, context, link=None):
        self.calls.append({"key": event_key, "kind": kind, "to": list(usernames), "link": link,
                           "task": context.get("task_name")})

    def kinds(self) -> list[str]:
        return [call["kind"] for call in self.calls]


class Campaign:
    """The engine with the four processes deployed, on a database with the demo units and users."""

    def __init__(self, session_factory, clock, locale="zh"):
        self.session_factory = session_factory
        self.clock = clock
        self.locale = locale
        self.engine = Engine(session_factory, clock=clock, services=make_service_functions,
                             node_id="scenario-node")
        self.definitions = {}
        for path in sorted((PROCESS_DIR / "decisions").glob("*.dmn")):  # the grading table, before its users
            self.engine.deploy_decisions(path.read_bytes(), path.name)
        for process_id in PROCESS_IDS:
            path = PROCESS_DIR / f"{process_id}.bpmn"
            result = self.engine.deploy(path.read_bytes(), path.name)
            self.definitions[process_id] = result.definition.id
        with session_factory() as session:
            create_units(session)
            create_users(session)
            session.commit()
            self.actors = {user.username: user.to_actor() for user in session.scalars(select(User))}
            self.unit_codes = active_unit_codes(session)
        self.notify = RecordingNotify()
        self.escalator = Escalator(self.engine, CampaignDirectory(), notify=self.notify)

    # -- people -------------------------------------------------------------

    def actor(self, username):
        return self.actors[username]

    def actor_for(self, task: HumanTask):
        """A demo user who may act on the task: the officer of its first unit group, or the office leader."""
        for group in task.candidate_group_list:
            if group == "office_leader":
                return self.actors["office.leader"]
            if f"{group}.officer" in self.actors:
                return self.actors[f"{group}.officer"]
        raise AssertionError(f"no demo user for task {task.element_id} (groups {task.candidate_groups!r})")

    # -- starting -----------------------------------------------------------

    def lead_data(self, **overrides) -> dict:
        """A 12345 hotline call about a health-product seller, as the registration form sends it."""
        data = {
            "channel": "hotline_12345",
            "external_ref": None,
            "received_at": (self.clock.now() - timedelta(hours=2)).isoformat(),
            "summary": "来电人称其父亲参加“免费健康讲座”后被诱导以2.6万元购买“降糖降压”保健品，产品无批准文号。",
            "subject_name": SUBJECT_NAME,
            "subject_credit_code": SUBJECT_CODE,
            "sector": "food_health_products",
            "reporter": {"name": "李建平", "phone": "13859961122"},
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    def start_lead(self, actor="office.officer", **overrides) -> tuple[int, int]:
        """Register a lead and start lead_handling for it in one transaction: (instance id, lead id)."""
        data = self.lead_data(**overrides)
        registered = {}

        def prepare(session):
            lead = register_lead(session, data, self.actor(actor), self.locale)
            registered["id"], registered["number"] = lead.id, lead.number
            return {"lead_id": lead.id}

        def started(session, instance):
            lead = session.get(Lead, registered["id"])
            lead.instance_id = instance.id
            instance.business_key = lead.number

        instance_id = self.engine.start("lead_handling", actor=self.actor(actor), prepare=prepare, started=started)
        return instance_id, registered["id"]

    def start_risk_disposal(self, lead_id=None, subject_id=None, actor="market.officer",
                            responsible_unit=None) -> int:
        """Start graded disposal from a lead (domain.leads.start_risk_disposal): its subject, the lead,
        its unit, and the lead's number as business key; or of a subject alone."""
        return start_risk_disposal(self.engine, self.actor(actor), subject_id=subject_id, lead_id=lead_id,
                                   responsible_unit=responsible_unit)

    def create_subject(self, name="泉州长青健康科技有限公司", code="91350500MA34B7LN2",
                       sector="food_health_products") -> int:
        from domain.records import create_subject
        with self.session_factory() as session:
            subject = create_subject(session, {"name": name, "credit_code": credit_code(code), "sector": sector},
                                     "office.officer")
            session.commit()
            return subject.id

    def dispatched_lead(self, unit="market", workdays=15, major=False, **overrides) -> tuple[int, int]:
        """A lead triaged to `unit` and accepted there: verification is open."""
        instance_id, lead_id = self.start_lead(**overrides)
        self.complete("triage_lead", triage_dispatch(unit=unit, workdays=workdays, major=major), instance_id)
        self.complete("accept_lead", accept(), instance_id)
        return instance_id, lead_id

    def ordered_rectification(self, deadline="2026-03-20T18:00", unit="market") -> tuple[int, int]:
        """A subject graded orange, its principal interviewed and ordered to rectify:
        (rectification item id, its rectification instance id)."""
        subject_id = self.create_subject()
        risk = self.start_risk_disposal(subject_id=subject_id, responsible_unit=unit)
        self.complete("assess_risk", assess("orange", "clear_problem"), risk)
        self.complete("warning_interview", interview(), risk)
        self.complete("decide_measures", measures(rectify=True), risk)
        self.complete("issue_rectification_order", rectify_order(deadline), risk)
        [item] = self.all(RectificationItem, RectificationItem.subject_id == subject_id)
        return item.id, item.instance_id

    # -- tasks --------------------------------------------------------------

    def tasks(self, instance_id=None, element_id=None, status="open", process_id=None) -> list[HumanTask]:
        with self.session_factory() as session:
            query = select(HumanTask).options(selectinload(HumanTask.candidates)).order_by(HumanTask.id)
            if status is not None:
                query = query.where(HumanTask.status == status)
            if instance_id is not None:
                query = query.where(HumanTask.instance_id == instance_id)
            if element_id is not None:
                query = query.where(HumanTask.element_id == element_id)
            if process_id is not None:
                query = query.where(HumanTask.process_id == process_id)
            return session.scalars(query).all()

    def open_elements(self, instance_id=None, process_id=None) -> list[str]:
        return [task.element_id for task in self.tasks(instance_id, process_id=process_id)]

    def task(self, element_id, instance_id=None) -> HumanTask:
        """The one open task of the element (in the instance, if given)."""
        found = self.tasks(instance_id, element_id)
        if len(found) != 1:
            open_now = [(t.instance_id, t.element_id) for t in self.tasks()]
            raise AssertionError(f"expected one open {element_id!r} task in instance {instance_id}, "
                                 f"found {len(found)}; open tasks: {open_now}")
        return found[0]

    def validate(self, task: HumanTask, raw: dict) -> dict:
        """What the web app does with a submission: validate it against the task's form."""
        return validate_submission(load_form(task.form_key), raw, self.locale, self.unit_codes,
                                   evaluate=self.engine.evaluate_decision)

    def complete(self, element_id, raw, instance_id=None, actor=None, claim=True) -> HumanTask:
        """Complete the open task of `element_id` with form-validated data; returns the task row."""
        task = self.task(element_id, instance_id)
        data = self.validate(task, raw)
        who = self.actor(actor) if isinstance(actor, str) else (actor or self.actor_for(task))
        if claim:
            self.engine.claim(task.id, who)
        self.engine.complete(task.id, who, data)
        return task

    # -- other systems --------------------------------------------------------

    def police_receipt(self, instance_id, actor="admin", **variables):
        """The police's system sends its acceptance receipt for the case (by the instance's business key,
        the lead's number; by the instance for a disposal started without a lead)."""
        key = self.instance(instance_id).business_key
        return events.correlate(self.engine, "police_acceptance", self.actor(actor), business_key=key,
                                process_instance_id=None if key else instance_id,
                                variables={**police_receipt(), **variables})

    def report_completions(self, send=None, business_key=None):
        """The report worker's pass (domain.report_worker); `send=None`: no platform, reports recorded."""
        return ReportWorker(self.engine, send, worker_id="scenario-worker").run_once(business_key)

    # -- time ---------------------------------------------------------------

    def fire_timers(self) -> int:
        return self.engine.fire_due_timers()

    def advance(self, **delta) -> int:
        """Move the clock and fire what fell due; returns how many timers fired."""
        self.clock.advance(timedelta(**delta))
        return self.fire_timers()

    def move_to(self, moment: datetime) -> int:
        self.clock.set(moment)
        return self.fire_timers()

    def escalate(self) -> int:
        return self.escalator.run_due()

    # -- reading records -------------------------------------------------------

    def get(self, model, record_id):
        with self.session_factory() as session:
            record = session.get(model, record_id)
            if record is not None:
                session.expunge(record)
            return record

    def all(self, model, *where, order_by=None):
        with self.session_factory() as session:
            query = select(model).where(*where).order_by(order_by if order_by is not None else model.id)
            return session.scalars(query).all()

    def instance(self, instance_id) -> ProcessInstance:
        return self.get(ProcessInstance, instance_id)

    def instances(self, process_id) -> list[ProcessInstance]:
        return self.all(ProcessInstance, ProcessInstance.process_id == process_id)

    def variables(self, instance_id) -> dict:
        """The instance's data as the last finished task left it (for checking what a script set)."""
        with self.session_factory() as session:
            _, workflow = self.engine.load_workflow(session, instance_id)
            return dict(workflow.last_task.data if workflow.last_task else workflow.data)

    def events(self, instance_id=None, action=None) -> list[AuditEvent]:
        conditions = []
        if instance_id is not None:
            conditions.append(AuditEvent.instance_id == instance_id)
        if action is not None:
            conditions.append(AuditEvent.action == action)
        return self.all(AuditEvent, *conditions)

    def trail(self, instance_id) -> list[tuple[str, str | None]]:
        """(action, element id) of every audit event of the instance, in order."""
        return [(event.action, event.element_id) for event in self.events(instance_id)]

    def domain_events(self, action, **data) -> list[AuditEvent]:
        """Domain audit events (lead.updated, disposal.recorded, ...) whose data match."""
        return [event for event in self.events(action=action)
                if all((event.data or {}).get(key) == value for key, value in data.items())]

    def grades(self, subject_id) -> list[str]:
        return [row.grade for row in self.all(RiskAssessment, RiskAssessment.subject_id == subject_id)]

    def measures(self, subject_id=None, lead_id=None) -> list[str]:
        conditions = []
        if subject_id is not None:
            conditions.append(Disposal.subject_id == subject_id)
        if lead_id is not None:
            conditions.append(Disposal.lead_id == lead_id)
        return [row.measure for row in self.all(Disposal, *conditions)]

    def rectification_statuses(self, item_id) -> list[str]:
        """Every status the item went through, from its audit trail."""
        return [event.data["status"] for event in self.domain_events("rectification.updated", item_id=item_id)]

    def incidents(self) -> list[Incident]:
        return self.all(Incident)

    def row_counts(self) -> Counter:
        with self.session_factory() as session:
            counts = Counter({name: session.scalar(select(func.count()).select_from(model))
                              for name, model in COUNTED.items()})
            counts["numbers_issued"] = session.scalar(select(func.coalesce(func.sum(NumberCounter.value), 0)))
            return counts


@pytest.fixture
def campaign(session_factory, clock, field_key):
    """The four processes deployed on a database with the demo units and users (import it into a test module)."""
    return Campaign(session_factory, clock)


# -- form data a user would enter --------------------------------------------------
# Each returns the raw submission (strings, as a browser sends them); keyword
# arguments override fields.

def _form(base: dict, overrides: dict) -> dict:
    data = {**base, **overrides}
    return {key: value for key, value in data.items() if value is not None}


def triage_dispatch(unit="market", workdays=15, major=False, **overrides) -> dict:
    return _form({"triage_decision": "dispatch", "responsible_unit": unit, "feedback_workdays": str(workdays),
                  "major": "true" if major else "false",
                  "major_reason": "涉及老人众多、金额巨大，列为重大线索挂牌督办" if major else None,
                  "triage_opinion": "属于涉老保健品虚假宣传，分流市场监管所核查"}, overrides)


def triage_close(decision, **overrides) -> dict:
    return _form({"triage_decision": decision, "triage_opinion": "与已登记线索重复" if decision == "duplicate"
                  else "不属于打击整治养老诈骗专项行动范围"}, overrides)


def accept(**overrides) -> dict:
    return _form({"accept_decision": "accept", "handler": "陈志明", "handler_phone": "13805950003"}, overrides)


def return_lead(**overrides) -> dict:
    return _form({"accept_decision": "return", "handler": "黄建华",
                  "return_reason": "该主体经营范围为医疗服务，属卫健部门职责"}, overrides)


def verify(result="substantiated", **overrides) -> dict:
    return _form({"result": result, "findings": "现场核查属实：以免费讲座引流，高价销售无批准文号保健品。",
                  "verified_on": "2026-03-04", "subject_name": SUBJECT_NAME, "subject_credit_code": SUBJECT_CODE,
                  "sector": "food_health_products", "people_involved": "35", "amount_involved": "380000"},
                 overrides)


def feedback(**overrides) -> dict:
    return _form({"handling": ["warning_interview", "order_rectify"],
                  "handling_details": "已约谈负责人，责令停止会销并整改，督促退款。",
                  "risk_disposal_started": "true", "losses_recovered": "120000", "contact": "陈志明",
                  "contact_phone": "13805950003"}, overrides)


def review(decision="accept", **overrides) -> dict:
    return _form({"review_decision": decision,
                  "review_opinion": "同意办结" if decision == "accept" else "核查不深入，退回补充核查",
                  "extra_workdays": "10" if decision == "send_back" else None}, overrides)


def police_receipt(**overrides) -> dict:
    """The variables of the police system's acceptance receipt (message police_acceptance)."""
    return {"receipt_no": "晋公（新）受字〔2026〕27号", "accepting_unit": "晋江市公安局新塘派出所",
            "accepted_on": "2026-03-09", **overrides}


def chase_police(decision="chased", **overrides) -> dict:
    if decision == "chased":
        values = {"chase_method": "phone", "chase_note": "已电话联系派出所值班民警，答复两日内出具回执。"}
    else:
        values = {"receipt_no": "晋公（新）受字〔2026〕31号", "accepting_unit": "晋江市公安局新塘派出所",
                  "accepted_on": "2026-03-10"}
    return _form({"chase_decision": decision, **values}, overrides)


# Factors the shipped grading table (processes/decisions/risk_grading.dmn) grades as each grade, so that
# `assess(grade)` agrees with the rule unless a test overrides the factors (and then gives a reason).
FACTORS_GRADED = {
    "red": {"people_involved": "120", "money_at_risk": "380000", "opinion_heat": "medium", "stability_risk": "low"},
    "orange": {"people_involved": "35", "money_at_risk": "380000", "opinion_heat": "medium", "stability_risk": "low"},
    "yellow": {"people_involved": "15", "money_at_risk": "380000", "opinion_heat": "medium", "stability_risk": "low"},
    "green": {"people_involved": "5", "money_at_risk": "50000", "opinion_heat": "none", "stability_risk": "none"},
}


def assess(grade="orange", finding="clear_problem", **overrides) -> dict:
    return _form({"grade": grade, **FACTORS_GRADED.get(grade, FACTORS_GRADED["orange"]), "finding": finding,
                  "facts": "以免费体检、健康讲座引流，向老人高价销售保健品并夸大功效。"}, overrides)


def risk_warning(after="P14D", **overrides) -> dict:
    return _form({"warning_date": "2026-03-05", "warning_method": "written",
                  "warning_content": "发出风险提示函，提醒规范经营，不得夸大宣传。", "spot_check_after": after,
                  "officer": "陈志明"}, overrides)


def spot_check(problem_found=False, **overrides) -> dict:
    return _form({"check_date": "2026-03-20", "check_method": "unannounced",
                  "check_findings": "发现继续组织会销" if problem_found else "未发现新问题",
                  "problem_found": "true" if problem_found else "false", "officer": "陈志明"}, overrides)


def interview(**overrides) -> dict:
    return _form({"interview_time": "2026-03-05T10:00", "interview_place": "新塘市场监督管理所会议室",
                  "principal": "黄某", "principal_title": "法定代表人", "interviewers": "陈志明、林晓燕",
                  "interview_content": "告知虚假宣传、违法销售的法律责任，责令立即停止会销活动。",
                  "officer": "陈志明"}, overrides)


def measures(suspend=False, rectify=False, refunds=False, **overrides) -> dict:
    flag = lambda value: "true" if value else "false"  # noqa: E731
    return _form({"suspend_business": flag(suspend), "order_rectify": flag(rectify), "urge_refunds": flag(refunds),
                  "measures_note": "约谈后确定的处置措施"}, overrides)


def suspension(**overrides) -> dict:
    return _form({"suspension_order_no": "新市监停〔2026〕3号", "suspension_date": "2026-03-06",
                  "suspension_scope": "停止一切会议营销活动", "officer": "陈志明"}, overrides)


def rectify_order(deadline, **overrides) -> dict:
    return _form({"rectify_order_no": "新市监责改〔2026〕12号", "problem": "保健品宣传夸大功效，部分产品无批准文号。",
                  "rectify_measures": "下架无批准文号产品；更正虚假宣传；配合办理退货退款。",
                  "rectify_person": "长青健康科技公司负责人 黄某", "rectify_deadline": deadline,
                  "officer": "陈志明"}, overrides)


def refunds(**overrides) -> dict:
    return _form({"amount_due": "380000", "amount_refunded": "120000", "people_refunded": "12",
                  "refund_plan": "分三期清退", "officer": "陈志明"}, overrides)


def transfer_department(target="health", **overrides) -> dict:
    return _form({"target_department": target, "transfer_no": f"新移〔2026〕{target}号", "transfer_date": "2026-03-05",
                  "transfer_reason": "涉及无证行医，属卫健部门职责", "officer": "陈志明"}, overrides)


def acknowledge(decision="accept", **overrides) -> dict:
    return _form({"ack_decision": decision, "receiver": "吴丽珍", "ack_date": "2026-03-06",
                  "ack_note": "已接收" if decision == "accept" else "不属于本部门职责"}, overrides)


def fix_evidence(**overrides) -> dict:
    return _form({"evidence_list": "收费凭证、销售合同、宣传单页", "evidence_methods": ["documents", "inquiry_record"],
                  "evidence": ["att-1001"], "officer": "陈志明"}, overrides)


def transfer_police(**overrides) -> dict:
    return _form({"transfer_police_no": "新市监移〔2026〕2号", "transfer_date": "2026-03-06",
                  "suspected_offence": "fraud", "case_summary": "以保健品为名诈骗老人钱财", "victims": "35",
                  "amount_involved": "380000", "materials": ["att-1002"], "officer": "陈志明"}, overrides)


def police_acceptance(decision="filed", **overrides) -> dict:
    return _form({"police_decision": decision, "case_no": "晋公新立〔2026〕18号" if decision == "filed" else None,
                  "decision_date": "2026-03-09", "police_officer": "王国栋",
                  "police_note": "不构成犯罪，不予立案" if decision == "not_filed" else None}, overrides)


def submit_rectification(**overrides) -> dict:
    return _form({"measures_taken": "已下架无批准文号产品，更正宣传材料。", "completion": "completed",
                  "completion_date": "2026-03-20", "responsible_person": "黄某", "evidence": ["att-2001"]},
                 overrides)


def accept_rectification(decision="accept", lookback_after="P30D", new_deadline=None, **overrides) -> dict:
    return _form({"acceptance_decision": decision, "inspection_methods": ["document_review", "on_site"],
                  "acceptance_opinion": "整改到位，同意验收" if decision == "accept" else "退款未落实，退回整改",
                  "lookback_after": lookback_after if decision == "accept" else None,
                  "new_deadline": new_deadline}, overrides)


def lookback(result="stayed_fixed", new_deadline=None, **overrides) -> dict:
    return _form({"lookback_date": "2026-04-25", "lookback_methods": ["unannounced"], "lookback_result": result,
                  "lookback_findings": "未再组织会销" if result == "stayed_fixed" else "又在沙塘村组织会销",
                  "new_deadline": new_deadline}, overrides)


def supervision_report(**overrides) -> dict:
    return _form({"progress": "已完成现场核查", "measures": "约谈负责人", "next_steps": "跟进退款",
                  "completed": "false", "reporter": "陈志明", "reporter_phone": "13805950003"}, overrides)


def supervision_review(decision, **overrides) -> dict:
    return _form({"review_decision": decision, "review_opinion": {"resolved": "问题已解决", "continue": "继续督办",
                                                                   "escalate": "推进不力，升级督办"}[decision]},
                 overrides)


def reminder(**overrides) -> dict:
    return _form({"reminder_method": "system", "reminder_date": "2026-03-10",
                  "reminder_content": "请于3个工作日内报告进展"}, overrides)


def notice(**overrides) -> dict:
    return _form({"notice_no": "新专办通〔2026〕1号", "notice_scope": "member_units",
                  "notice_content": "对推进不力的单位予以通报"}, overrides)


def unit_interview(**overrides) -> dict:
    return _form({"interview_time": "2026-03-20T15:00", "interview_place": "街道专项办",
                  "interviewee": "林晓燕", "interviewee_title": "所长", "interviewers": "专项办主任",
                  "interview_content": "约谈一把手，要求限期落实", "commitments": "一周内完成"}, overrides)


def supervision_rectify_order(deadline, **overrides) -> dict:
    return _form({"problems": "线索核查迟缓", "rectify_requirements": "限期完成核查并报告",
                  "rectify_deadline": deadline}, overrides)


def accountability(**overrides) -> dict:
    return _form({"accountability_facts": "经催办、通报、约谈、限期整改仍推进不力",
                  "responsible_persons": "市场监管所所长", "accountability_form": ["criticism", "written_review"],
                  "basis": "依规依纪问责"}, overrides)
