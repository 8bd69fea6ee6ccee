"""The demo's history: what the units did with the leads of domain.demo since the campaign
began, played through the real processes with the clock moved back.

Each lead is registered when it came in and handled step by step at the times below (in
working days before the demo's day, Beijing time), with form data the task's form accepts,
so received dates, finished steps, deadlines, statuses and the 流转意见 chain agree. Between
steps the clock passes every timer and escalation rung at its own due time, as a running
scheduler would: a verification left past its feedback deadline opens its supervision case
then, and climbs the ladder to the leaders (and a yellow card). At the end the clock reaches
now. What the demo's day looks like:

- closed: seven leads (one at triage as a duplicate); the report worker sent the completion reports
  of five to the superior platform when they closed (the demo's platform accepts every report), and
  one, closed yesterday, is still to be sent (`./dev run` starts the worker, which records it);
- the office: two leads to triage (one due today) and a review;
- units: verifications and feedback in progress, one feedback due today, one a working day
  late (market), one verification four working days late (land: yellow card, supervision), one
  lead not signed for in time (police), a major lead under supervised handling; one lead was
  signed for a working day late (civil affairs: its on-time rate is not 100 %);
- rectification: four items, one past its deadline (market), one due today.

The demo's day is today once 09:00 has passed on a working day, else the last working day;
events "today" happen before 09:00.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from domain import decision_fields, records
from domain.casefile import record_details
from domain.demo import GRID_REPORTS, LEADS, RECTIFICATION_PROBLEMS, lead_registration, load_demo
from domain.grid_reports import GRID_INTAKE, register_grid_report
from domain.demo_publicity import load_publicity
from domain.demo_inspections import inspection_events
from domain.errors import DubanError
from domain.forms import load_form, validate_submission
from domain.leads import register_lead
from domain.models import Lead, Subject, User
from domain.report_worker import ReportWorker
from domain.services import DomainServices
from engine import clock
from engine.clock import ManualClock
from engine.store.models import HumanTask
from engine.workcal import CHINA_TZ

DAY_STARTS = time(9, 0)
OFFICE = "office.officer"


@dataclass(frozen=True)
class Step:
    """A task of the lead's handling, finished `ago` working days before the demo's day at `at`."""
    element: str
    ago: int
    at: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Handling:
    """What became of a lead (by its index in domain.demo.LEADS)."""
    unit: str | None
    steps: tuple[Step, ...]
    workdays: int = 15
    major: bool = False


def _triage(ago, at, opinion, **values):
    return Step("triage_lead", ago, at, {"triage_opinion": opinion, **values})


def _verify(ago, at, result, findings, people=None, amount=None):
    return Step("verify_lead", ago, at, {"result": result, "findings": findings, "people_involved": people,
                                         "amount_involved": amount})


def _feedback(ago, at, handling, details, recovered=0):
    return Step("feedback_lead", ago, at, {"handling": list(handling), "handling_details": details,
                                           "losses_recovered": str(recovered), "risk_disposal_started": "false"})


def _review(ago, at, opinion="核查属实，处置措施到位，同意办结。"):
    return Step("review_feedback", ago, at, {"review_decision": "accept", "review_opinion": opinion})


def _report(ago, at):
    """The report worker sends the closed lead's completion report (报送办结情况) upward."""
    return Step(REPORT, ago, at)


REPORT = "report_completion"


def _demo_platform(report, delivery_id) -> None:
    """The demo's superior platform: it accepts every report (nothing leaves the machine)."""


HISTORY = {
    0: Handling("police", workdays=10, steps=(
        _triage(22, "14:30", "冒充社保局诈骗，属公安机关职责，分流派出所核查"),
        Step("accept_lead", 21, "09:40"),
        _verify(19, "16:10", "substantiated", "经调取转账记录，系冒充社保局工作人员实施电信诈骗，已立案侦查。", 1, 2000),
        _feedback(16, "10:30", ["case_filed"], "已立案侦查，追回被骗资金2000元并返还当事人。", 2000),
        _review(15, "09:30"),
        _report(14, "15:00"))),
    1: Handling("urban_enforcement", workdays=10, steps=(
        _triage(20, "16:00", "流动摊点推销药酒，分流综合执法中队处置"),
        Step("accept_lead", 19, "10:00"),
        _verify(18, "15:30", "partly", "流动人员已离开，现场未再发现推销活动，登记车辆已通报交警。", 12),
        _feedback(17, "11:00", ["risk_warning"], "在沙塘社区张贴风险提示，网格员加强巡查。"),
        _review(15, "10:00"),
        _report(13, "16:00"))),
    2: Handling("enterprise_service", steps=(
        _triage(19, "11:30", "涉嫌以预订床位名义非法集资，分流企业服务中心牵头核查"),
        Step("accept_lead", 18, "10:20"),
        _verify(14, "17:00", "substantiated", "核查属实：以预订床位名义收取会员费，涉及老人156人、金额480万元。",
                156, 4800000),
        _feedback(11, "15:00", ["transfer_police", "urge_refunds"],
                  "已固定收费凭证和合同，移送新塘派出所立案侦查；督促公司制定退费方案。", 350000),
        _review(9, "10:00"),
        _report(8, "16:00"))),
    3: Handling(None, steps=(
        _triage(18, "16:30", "与福寿康养老服务有限公司会员费线索重复，并案办理", triage_decision="duplicate"),)),
    4: Handling("market", steps=(
        _triage(17, "14:00", "属于涉老保健品虚假宣传，分流市场监管所核查"),
        Step("accept_lead", 16, "09:30"),
        _verify(13, "16:00", "substantiated", "现场核查属实：以免费讲座引流，高价销售无批准文号保健品。", 35, 380000),
        _feedback(10, "11:20", ["warning_interview", "order_rectify"],
                  "已约谈公司负责人，责令停止会销并限期整改，督促退款。", 120000),
        _review(9, "15:00"),
        _report(7, "10:00"))),
    5: Handling("market", steps=(
        _triage(16, "15:30", "以收藏品升值为名销售纪念币，分流市场监管所核查"),
        Step("accept_lead", 15, "10:00"),
        _verify(11, "16:00", "substantiated", "核查属实：宣称三年翻倍、公司回购，涉及老人23人。", 23, 460000))),
    6: Handling("market", steps=(
        _triage(15, "11:00", "会议营销推销养生床垫，分流市场监管所核查"),
        Step("accept_lead", 14, "10:30"),
        _verify(12, "15:00", "partly", "体验店确有会销活动，床垫功效宣传夸大，未发现强制购买。", 40))),
    7: Handling("enterprise_service", steps=(
        _triage(14, "15:00", "以康养小镇项目名义吸收资金，分流企业服务中心核查"),
        Step("accept_lead", 13, "10:00"),
        _verify(6, "16:00", "substantiated", "核查属实：承诺年化12%收益，向约210名老人吸收资金1250万元。",
                210, 12500000))),
    8: Handling("land", workdays=10, steps=(
        _triage(14, "17:10", "以养老名义销售商品住房，分流国土所会同市场监管所核查"),
        Step("accept_lead", 13, "09:30"))),
    9: Handling("health", workdays=10, steps=(
        _triage(12, "10:30", "无证医务室为老人诊疗，分流卫健办核查"),
        Step("accept_lead", 11, "14:00"),
        _verify(8, "15:00", "substantiated", "医务室未取得执业许可，2名人员无执业资格。", 86),
        _feedback(5, "10:00", ["suspension", "order_rectify"], "已责令医务室停止诊疗活动并限期整改。"),
        _review(1, "11:00"))),
    10: Handling("police", steps=(
        _triage(11, "15:00", "APP直播诱导老人充值，分流派出所核查"),
        Step("accept_lead", 10, "09:00"))),
    11: Handling("land", workdays=20, steps=(
        _triage(10, "11:00", "违规改变养老用地性质，分流国土所核查"),
        Step("accept_lead", 9, "10:00"),
        _verify(5, "16:00", "substantiated", "现场核查属实：在养老服务设施用地上建设独栋别墅12栋并对外销售。"),
        _feedback(3, "15:00", ["order_rectify", "transfer_department"], "已责令停止销售、限期整改，移交自然资源部门查处。"))),
    12: Handling("market", workdays=10, steps=(
        _triage(9, "14:00", "低价游诱导购物，分流市场监管所核查"),
        Step("accept_lead", 8, "09:30"),
        _verify(6, "16:00", "substantiated", "核查属实：99元低价团安排4个购物点，涉及老人120人。", 120, 150000),
        _feedback(4, "11:00", ["order_rectify", "urge_refunds"], "已责令停止低价游产品，督促退还购物款。", 36000),
        _review(3, "10:00"),
        _report(2, "15:00"))),
    13: Handling("civil_affairs", steps=(
        _triage(8, "10:00", "养老机构销售终身会员卡，分流社会事务办核查"),
        Step("accept_lead", 5, "10:00"),  # a working day late: escalated then, finished late
        _verify(3, "11:00", "partly", "已售出终身会员卡26张，资金去向正在调取银行流水。", 26, 2600000))),
    14: Handling("market", steps=(
        _triage(6, "09:30", "保健品夸大宣传，分流市场监管所核查"),
        Step("accept_lead", 5, "10:00"))),
    15: Handling("health", workdays=10, steps=(
        _triage(4, "10:00", "无医师资格人员行医，分流卫健办核查"),
        Step("accept_lead", 3, "09:00"))),
    16: Handling("enterprise_service", workdays=10, major=True, steps=(
        _triage(3, "10:00", "康乐颐养公司继续吸收资金，列为重大线索挂牌督办", major="true",
                major_reason="涉及老人众多、金额巨大，上级转办，挂牌督办"),
        Step("accept_lead", 2, "09:30"))),
    17: Handling("police", workdays=10, steps=(
        _triage(3, "16:00", "疑似非法集资资金归集，分流派出所会同农商银行核查"),)),
}

# lead index -> (responsible person, working days to the deadline); the problem and measures are
# domain.demo.RECTIFICATION_PROBLEMS'. The item is opened when the unit feeds back 责令整改.
RECTIFICATIONS = {4: ("长青健康科技公司负责人 黄某", 8), 9: ("颐和养老公寓负责人 许某", 15),
                  11: ("乐龄生态农业公司法定代表人 苏某", 30), 12: ("夕阳红旅游公司总经理 吴某", 4)}

# lead index, working days ago (at 16:30; today before the day starts), grade, people, money (yuan),
# opinion heat, stability risk, and the reason for a grade other than the grading table's
# (processes/decisions/risk_grading.dmn): each is graded by rule; market regulation graded 长青健康科技
# yellow where the rule says orange, and this morning civil affairs kept a membership-card seller
# orange where the rule now says red.
ASSESSMENTS = [
    (2, 16, "yellow", 25, 800_000, "low", "low", None),
    (4, 12, "yellow", 35, 380_000, "medium", "low",
     "涉及的35人中多数为陪同家属，实际购买保健品的老人8人，款项已全部退还，按一般风险管理。"),
    (2, 12, "red", 156, 4_800_000, "high", "high", None),
    (7, 7, "red", 210, 12_500_000, "medium", "high", None),
    (12, 6, "yellow", 25, 150_000, "medium", "low", None),
    (13, 3, "orange", 60, 2_600_000, "medium", "medium", None),
    (13, 0, "orange", 26, 2_600_000, "high", "medium",
     "舆情主要来自同一微信群转发，经核实已平息；涉及老人26人，会员卡资金已冻结，维持橙色管控。"),
]

# 依法打击: the criminal cases filed on leads (by index in domain.demo.LEADS), each recorded by the
# unit's officer `ago` working days before the demo's day at 16:00 and moved on at its stages:
# (lead indexes, unit, case number, charge, gangs, suspects, frozen, recovered, returned, summary,
#  filed (ago), stages [(stage, ago, unit, judgment)]).
STRIKE_CASES = [
    ((0,), "police", "晋新公（刑）立字〔2026〕0031号", "fraud", 0, 1, 0, 2000, 2000,
     "犯罪嫌疑人冒充社保局工作人员以代办高龄补贴为名骗取老人手续费2000元，已抓获并追回全部被骗资金。",
     19, [("prosecuted", 9, "police", None), ("judged", 1, "court", "以诈骗罪判处被告人有期徒刑八个月，并处罚金五千元。")]),
    ((2, 3), "police", "晋新公（刑）立字〔2026〕0047号", "illegal_deposits", 1, 5, 1_200_000, 350_000, 0,
     "福寿康养老服务公司以预订床位、养老会员卡名义向老人吸收资金480万元，涉及老人156人。",
     10, [("prosecuted", 3, "procuratorate", None)]),
    ((4,), "police", "晋新公（刑）立字〔2026〕0052号", "false_advertising", 0, 2, 150_000, 120_000, 120_000,
     "长青健康科技公司以免费讲座引流，宣称保健品可替代药物，高价销售无批准文号产品。",
     9, []),
    ((7, 16), "police", "晋新公（刑）立字〔2026〕0068号", "fundraising_fraud", 1, 8, 3_600_000, 0, 0,
     "康乐颐养公司以投资康养小镇、认购床位到期回购为名向约210名老人集资1250万元。",
     3, []),
]


class Story:
    """Plays the history on `engine` (and its `escalator`) with a clock of its own."""

    def __init__(self, engine, escalator, now: datetime):
        self.engine, self.escalator = engine, escalator
        self.sessions = engine.session_factory
        self.calendar = engine.calendar()
        self.now = now
        self.day = self._demo_day(now)
        self.grade_spec = next(spec for spec in load_form("risk/assess")["fields"] if spec["id"] == "grade")
        self.clock = ManualClock(self.moment(30, "08:00"))
        with self.sessions() as session:  # with their units: the step records name them
            self.users = {user.username: user for user in session.scalars(select(User).options(selectinload(User.unit)))}
            self.actors = {name: user.to_actor() for name, user in self.users.items()}
            self.unit_codes = records.active_unit_codes(session)
            self.subjects = session.scalars(select(Subject).order_by(Subject.id)).all()
        self.leads: dict[int, tuple[int, int]] = {}  # index -> (lead id, instance id)
        self.inspections: dict[tuple[int, str], int] = {}  # (working days ago, unit) -> inspection id

    # -- time ------------------------------------------------------------------------

    def _demo_day(self, now: datetime) -> date:
        local = now.astimezone(CHINA_TZ)
        day = local.date()
        if self.calendar.is_workday(day) and local.time() >= DAY_STARTS:
            return day
        return self._workday_before(day)

    def _workday_before(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.calendar.is_workday(day):
            day -= timedelta(days=1)
        return day

    def moment(self, ago: int, at: str) -> datetime:
        day = self.day
        for _ in range(ago):
            day = self._workday_before(day)
        hour, minute = (int(part) for part in at.split(":"))
        return datetime.combine(day, time(hour, minute), tzinfo=CHINA_TZ).astimezone(timezone.utc)

    def advance_to(self, moment: datetime) -> None:
        """Move the clock to `moment`, firing each timer and escalation rung at its due time on the way."""
        last = None
        while True:
            due = [d for d in (self.engine.next_timer_due(), self.escalator.next_due()) if d is not None]
            upcoming = min(due) if due else None
            if upcoming is None or upcoming >= moment:
                break
            if upcoming == last:
                raise DubanError(f"the demo history is stuck at {upcoming.isoformat()}")
            last = upcoming
            self.clock.set(max(upcoming + timedelta(seconds=1), self.clock.now()))
            self.engine.fire_due_timers()
            self.escalator.run_due()
        self.clock.set(max(moment, self.clock.now()))

    # -- what people do ----------------------------------------------------------------

    def register(self, index: int) -> None:
        """The office registers the lead (a quarter of an hour after it came in), or a grid worker
        reports it from the phone; its handling starts."""
        row = LEADS[index]
        data = lead_registration(row, self.subjects, self.moment(*row[0]))
        actor = self.actors[OFFICE]
        registered = {}

        def register(session):
            if index not in GRID_REPORTS:
                return register_lead(session, data, actor)
            community, where = GRID_REPORTS[index]
            grid_worker = session.scalars(select(User).where(User.username == f"{community}.grid")).one()
            return register_grid_report(session, {**data, "address": where}, grid_worker)

        def prepare(session):
            lead = register(session)
            registered["id"], registered["number"] = lead.id, lead.number
            return {"lead_id": lead.id}

        def started(session, instance):
            session.get(Lead, registered["id"]).instance_id = instance.id
            instance.business_key = registered["number"]

        starter = GRID_INTAKE if index in GRID_REPORTS else actor
        instance_id = self.engine.start("lead_handling", actor=starter, prepare=prepare, started=started)
        self.leads[index] = (registered["id"], instance_id)

    def complete(self, index: int, step: Step, handling: Handling) -> None:
        lead_id, instance_id = self.leads[index]
        if step.element == REPORT:
            self.report(index)
            return
        with self.sessions() as session:
            task = session.scalars(select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.element_id == step.element,
                HumanTask.status == "open")).one()
        groups = task.candidate_group_list
        username = OFFICE if "office" in groups or not groups else f"{groups[0]}.officer"
        user = self.users[username]
        form = load_form(task.form_key)
        raw = {**self._defaults(step.element, handling, user), **step.values}
        values = validate_submission(form, {k: v for k, v in raw.items() if v is not None}, "zh", self.unit_codes,
                                     evaluate=self.engine.evaluate_decision)
        self.engine.complete(task.id, self.actors[username], values, record_details(form, values, user))
        if step.element == "feedback_lead" and index in RECTIFICATIONS:
            self.open_rectification(index, lead_id, handling.unit)

    def _defaults(self, element: str, handling: Handling, user: User) -> dict:
        today = self.clock.now().astimezone(CHINA_TZ).date().isoformat()
        dispatch = {"triage_decision": "dispatch", "responsible_unit": handling.unit,
                    "feedback_workdays": str(handling.workdays), "major": "false"}
        return {
            "triage_lead": dispatch if handling.unit else {},
            "accept_lead": {"accept_decision": "accept", "handler": user.display_name, "handler_phone": user.phone},
            "verify_lead": {"verified_on": today},
            "feedback_lead": {"contact": user.display_name, "contact_phone": user.phone},
        }.get(element, {})

    def report(self, index: int) -> None:
        """The report worker's pass that sent this lead's completion report."""
        lead_id, _instance = self.leads[index]
        with self.sessions() as session:
            number = session.get(Lead, lead_id).number
        done = ReportWorker(self.engine, _demo_platform, worker_id="demo").run_once(business_key=number)
        if done.sent != [number]:
            raise DubanError(f"the demo's completion report of {number} was not sent: {done}")

    def open_rectification(self, index: int, lead_id: int, unit: str) -> None:
        """The 责令整改 the unit fed back: the office opens a rectification item for the unit, with its process."""
        person, workdays = RECTIFICATIONS[index]
        problem, measures = RECTIFICATION_PROBLEMS[index]
        actor = self.actors[OFFICE]
        deadline = self.calendar.add_workdays(self.clock.now(), workdays)
        opened = {}

        def prepare(session):
            lead = session.get(Lead, lead_id)
            item = records.create_rectification_item(session, {
                "subject_id": lead.subject_id, "lead_id": lead.id, "responsible_unit": unit,
                "responsible_person": person, "problem": problem, "measures": measures, "deadline": deadline}, actor)
            opened["item"] = item
            return {"item_id": item.id, "subject_id": item.subject_id, "lead_id": lead.id,
                    "responsible_unit": unit, "deadline": deadline.isoformat()}

        def started(session, instance):
            opened["item"].instance_id = instance.id
            instance.business_key = opened["item"].number

        self.engine.start("rectification", actor=actor, prepare=prepare, started=started)

    def assess(self, index: int, grade, people, money, heat, stability, reason=None) -> None:
        """The unit's officer grades the lead's institution by the grading table, as 风险研判评估 does."""
        lead_id, _instance = self.leads[index]
        factors = {"people_involved": people, "money_at_risk": float(money), "opinion_heat": heat,
                   "stability_risk": stability}
        by_rule = decision_fields.evaluate_field(self.grade_spec, factors, self.engine.evaluate_decision)
        with self.sessions() as session:
            lead = session.get(Lead, lead_id)
            services = DomainServices(session, f"{lead.responsible_unit}.officer", start_process=None)
            services.record_risk_grade(lead.subject_id, grade, people, money, heat, stability, lead_id=lead.id,
                                       computed_grade=by_rule.value, grading_rule=by_rule.rule,
                                       grading_decision=by_rule.table, override_reason=reason)
            session.commit()

    def record_strike_case(self, row) -> None:
        """The police officer files the case on its leads (立案) in domain.strike, as the page does."""
        from domain import strike
        indexes, unit, number, charge, gangs, suspects, frozen, recovered, returned, summary, ago, _stages = row
        with self.sessions() as session:
            numbers = [session.get(Lead, self.leads[index][0]).number for index in indexes]
            strike.record_case(session, {
                "case_number": number, "unit": unit, "charge": charge, "summary": summary,
                "filed_on": self.moment(ago, "16:00").astimezone(CHINA_TZ).date().isoformat(),
                "lead_numbers": " ".join(numbers), "gangs": gangs, "suspects": suspects, "frozen_amount": frozen,
                "recovered_amount": recovered, "returned_amount": returned}, f"{unit}.officer")
            session.commit()

    def move_strike_case(self, number: str, stage: str, ago: int, unit: str, judgment) -> None:
        from domain import strike
        from domain.models import StrikeCase
        with self.sessions() as session:
            record = session.scalars(select(StrikeCase).where(StrikeCase.case_number == number)).one()
            strike.advance_stage(session, record, stage, self.moment(ago, "16:00").astimezone(CHINA_TZ).date()
                                 .isoformat(), judgment, f"{unit}.officer")
            session.commit()

    # -- the whole story -----------------------------------------------------------------

    def events(self) -> list[tuple[datetime, int, object]]:
        """(when, order, what) of every registration, step and grading, in the order they happened."""
        found = []
        for index, row in enumerate(LEADS):
            found.append((self.moment(*row[0]) + timedelta(minutes=15), len(found),
                          lambda i=index: self.register(i)))
            handling = HISTORY.get(index)
            for step in handling.steps if handling else ():
                found.append((self.moment(step.ago, step.at), len(found),
                              lambda i=index, s=step, h=handling: self.complete(i, s, h)))
        for index, ago, *grading in ASSESSMENTS:
            at = "16:30" if ago else "08:30"  # today: before the day starts (DAY_STARTS)
            found.append((self.moment(ago, at), len(found), lambda i=index, g=grading: self.assess(i, *g)))
        for row in STRIKE_CASES:
            found.append((self.moment(row[10], "16:00"), len(found), lambda r=row: self.record_strike_case(r)))
            for stage, ago, unit, judgment in row[11]:
                found.append((self.moment(ago, "16:00"), len(found),
                              lambda n=row[2], s=stage, a=ago, u=unit, j=judgment: self.move_strike_case(n, s, a, u, j)))
        for moment, happen in inspection_events(self):  # 机构排查 (domain.demo_inspections)
            found.append((moment, len(found), happen))
        from domain import demo_returns  # the monthly returns (月报表) of the months played
        for moment, happen in demo_returns.events(self):
            found.append((moment, len(found), happen))
        return sorted(found, key=lambda event: event[:2])

    def play(self) -> None:
        for moment, _order, happen in self.events():
            self.advance_to(moment)
            happen()
        self.advance_to(self.now)


def build_demo(engine, escalator, hash_password=None) -> dict:
    """Load the demo's cast and play its history up to now (the installed clock's); returns the ids made."""
    now = clock.now()
    previous = clock.current()
    with engine.session_factory() as session:
        if session.scalar(select(User.id).limit(1)) is not None:
            raise DubanError("the demo data (or other users) is already loaded")
    story = None
    try:
        earliest = now - timedelta(days=60)
        clock.install(ManualClock(earliest))
        with engine.session_factory() as session:
            ids = load_demo(session, hash_password)
            session.commit()
        story = Story(engine, escalator, now)
        clock.install(story.clock)
        story.play()
    finally:
        clock.install(previous)
    ids["leads"] = [lead_id for lead_id, _instance in story.leads.values()]
    with engine.session_factory() as session:  # 宣传发动: what the units and grid workers held
        ids["publicity"] = load_publicity(session, now)
        session.commit()
    return ids
