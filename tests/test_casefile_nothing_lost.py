"""Nothing an officer enters is lost (issue 13, item 2).

Leads are driven through the web (the Flask test client), each task completed by the demo
user who holds it, with a distinctive value in every visible field of its form (text with a
counter, unique numbers, dates, every option type, credit codes, phones, uploaded files).
The choices made in decision fields (those the BPMN gateways test) steer the walks: each walk
follows a script of choices (send back once, return once, escalate up the supervision ladder,
let a deadline lapse ...), so that across the walks every user task of the four processes that
a lead can reach is completed and every option of every decision field is taken. Timers are
fired by moving the clock when a walk waits on one.

Afterwards the lead's case page (/leads/<id>, as the special office) must show every submitted
value, as people read it, in the step record (流转意见) of the task it was submitted at: enum
values as their labels, units by name, booleans as 是/否, dates as YYYY-MM-DD, date-times as
YYYY-MM-DD HH:MM Beijing time, files by their names, numbers and texts as typed. Every miss is
collected and reported (walk, step, field, value) before the test fails.
"""
import io
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import timedelta
from html import unescape
from pathlib import Path

from sqlalchemy import select

from domain import casefile
from domain.creditcode import check_character
from domain.fieldspec import field_label
from domain.forms import hidden_fields, load_form
from domain.leads import start_risk_disposal
from domain.models import Lead, RectificationItem, SupervisionCase, Unit, User
from domain.report_worker import ReportWorker
from engine.store.models import HumanTask, ProcessInstance, Timer
from engine.workcal import CHINA_TZ
from tests.conftest import login

PROCESS_DIR = Path(__file__).resolve().parents[1] / "processes"
PROCESS_IDS = ("lead_handling", "risk_disposal", "rectification", "supervision")
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
NOT_VARIABLES = {"true", "false", "null", "and", "or", "not", "eq", "ne", "lt", "gt", "le", "ge", "empty",
                 "None", "True", "False", "in", "is"}

# User tasks of the four processes that no walk from a lead reaches, with the reason.
# (Every one is reachable: risk disposal is started from the lead, rectification from the
# risk process's order to rectify, supervision from a major lead or a lapsed feedback deadline.)
UNREACHABLE: dict[tuple[str, str], str] = {}

# Fields the test itself steers by (not a gateway's): the officer says graded disposal was
# started, so the test starts risk_disposal for the lead (the app has no button for it).
EXTRA_DECISIONS = {("lead/feedback", "risk_disposal_started")}

# The choice that leaves a loop (or ends a branch): taken once a walk's own script is used up.
FORWARD = {
    ("lead/triage", "triage_decision"): "dispatch",
    ("lead/triage", "major"): False,
    ("lead/accept", "accept_decision"): "accept",
    ("lead/feedback", "risk_disposal_started"): False,
    ("lead/review", "review_decision"): "accept",
    ("risk/assess", "finding"): "no_problem",
    ("risk/spot_check", "problem_found"): False,
    ("risk/measures", "suspend_business"): False,
    ("risk/measures", "order_rectify"): False,
    ("risk/measures", "urge_refunds"): False,
    ("risk/acknowledge", "ack_decision"): "accept",
    ("risk/police_acceptance", "police_decision"): "filed",
    # nobody sends the police's receipt here: the office enters it from paper when it chases
    ("risk/chase_police", "chase_decision"): "paper_receipt",
    ("rectification/accept", "acceptance_decision"): "accept",
    ("rectification/lookback", "lookback_result"): "stayed_fixed",
    ("supervision/review", "review_decision"): "resolved",
}

MAX_STEPS = 90  # task completions and timer waits per walk

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Walk:
    name: str
    choices: dict = field(default_factory=dict)  # (form key, field id) -> values, used in order
    lapse: dict = field(default_factory=dict)     # element id -> times its boundary timer fires first
    major: bool = False                            # the registration form's 重大线索 box


WALKS = [
    Walk("研判：重复线索", {("lead/triage", "triage_decision"): ["duplicate"]}),
    Walk("研判：不属于本专项", {("lead/triage", "triage_decision"): ["out_of_scope"]}),
    Walk("重大线索：退回重新分流、退回重新核查；督办逐级升级至问责；处置措施全选；整改退回、反弹", {
        ("lead/triage", "major"): [True, True],
        ("lead/accept", "accept_decision"): ["return"],
        ("lead/review", "review_decision"): ["send_back"],
        ("lead/feedback", "risk_disposal_started"): [False, True],
        ("risk/assess", "finding"): ["clear_problem"],
        ("risk/measures", "suspend_business"): [True],
        ("risk/measures", "order_rectify"): [True],
        ("risk/measures", "urge_refunds"): [True],
        ("rectification/submit", "completion"): ["partly", "completed"],
        ("rectification/accept", "acceptance_decision"): ["send_back"],
        ("rectification/lookback", "lookback_result"): ["relapsed"],
        ("supervision/review", "review_decision"): ["escalate"] * 5 + ["continue"],
    }, lapse={"submit_rectification": 1}, major=True),
    Walk("苗头性问题：抽查发现问题，重新研判移交他部门，退回后再移交", {
        ("lead/feedback", "risk_disposal_started"): [True],
        ("risk/assess", "finding"): ["budding", "other_department"],
        ("risk/spot_check", "problem_found"): [True],
        ("risk/acknowledge", "ack_decision"): ["reject"],
    }),
    Walk("苗头性问题：抽查未发现问题", {
        ("lead/feedback", "risk_disposal_started"): [True],
        ("risk/assess", "finding"): ["budding"],
        ("risk/spot_check", "problem_found"): [False],
    }),
    Walk("核实逾期启动督办，报告逾期自动升级；涉嫌犯罪，公安立案", {
        ("lead/feedback", "risk_disposal_started"): [True],
        ("risk/assess", "finding"): ["suspected_crime"],
        ("risk/police_acceptance", "police_decision"): ["filed"],
    }, lapse={"verify_lead": 1, "report_progress": 1}),
    Walk("涉嫌犯罪，公安不予立案，重新研判未发现问题", {
        ("lead/feedback", "risk_disposal_started"): [True],
        ("risk/assess", "finding"): ["suspected_crime", "no_problem"],
        ("risk/police_acceptance", "police_decision"): ["not_filed"],
    }),
    Walk("涉嫌犯罪，催告公安受理后收到纸质回执，公安受理审查", {
        ("lead/feedback", "risk_disposal_started"): [True],
        ("risk/assess", "finding"): ["suspected_crime"],
        ("risk/chase_police", "chase_decision"): ["chased"],
        ("risk/police_acceptance", "police_decision"): ["under_review"],
    }),
    Walk("明显问题：约谈后不采取其他措施", {
        ("lead/feedback", "risk_disposal_started"): [True],
        ("risk/assess", "finding"): ["clear_problem"],
    }),
]


# -- what the processes say ------------------------------------------------------------------

def read_processes():
    """{process id: {"tasks": {element id: (name, form key)}, "boundaries": {task id: [boundary ids]},
    "variables": names the gateway conditions test}}"""
    out = {}
    for process_id in PROCESS_IDS:
        root = ET.parse(PROCESS_DIR / f"{process_id}.bpmn").getroot()
        process = root.find("bpmn:process", NS)
        tasks = {task.get("id"): (task.get("name"), task.get(f"{CAMUNDA}formKey"))
                 for task in process.iter(f"{{{NS['bpmn']}}}userTask")}
        boundaries = {}
        for event in process.iter(f"{{{NS['bpmn']}}}boundaryEvent"):
            boundaries.setdefault(event.get("attachedToRef"), []).append(event.get("id"))
        variables = set()
        for condition in process.iter(f"{{{NS['bpmn']}}}conditionExpression"):
            text = re.sub(r"'[^']*'|\"[^\"]*\"", "", condition.text or "")
            variables |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)) - NOT_VARIABLES
        out[process_id] = {"tasks": tasks, "boundaries": boundaries, "variables": variables}
    return out


def decision_fields(processes) -> dict[tuple[str, str], list]:
    """{(form key, field id): options} of the fields that steer a gateway (plus EXTRA_DECISIONS)."""
    out = {}
    for info in processes.values():
        for _name, form_key in info["tasks"].values():
            for spec in load_form(form_key)["fields"]:
                key = (form_key, spec["id"])
                if spec["id"] in info["variables"] or key in EXTRA_DECISIONS:
                    out[key] = [True, False] if spec.get("type") == "boolean" else \
                        [option["value"] for option in spec.get("options") or []]
    return out


# -- distinctive values ----------------------------------------------------------------------

class Values:
    """Distinctive values for form fields, by type, and the text the case page must show for them."""

    def __init__(self, clock, unit_names: dict[str, str]):
        self.clock = clock
        self.counter = 0
        self.unit_names = unit_names
        self.units = [code for code in unit_names if code != "office"]

    def next(self) -> int:
        self.counter += 1
        return self.counter

    def local_now(self):
        return self.clock.now().astimezone(CHINA_TZ)

    def value(self, spec: dict, walk_index: int, chosen=None):
        """(what the browser sends, the typed value for visible_if, files to upload)."""
        kind, n = spec.get("type", "text"), self.next()
        if chosen is not None:
            if kind == "boolean":
                return ("true" if chosen else None), bool(chosen), []
            return chosen, chosen, []
        options = [option["value"] for option in spec.get("options") or []]
        if kind == "text":
            text = f"甲乙记录{n:04d}"
        elif kind == "textarea":
            text = f"甲乙记录{n:04d}：核查所见第一行\n第二行 <甲&乙> “全角引号”"
        elif kind == "integer":
            low = spec.get("min", 0) or 0
            high = spec.get("max", low + 100000)
            text = str(low + (n * 7 + 3) % (high - low + 1))
        elif kind == "number":
            low = spec.get("min", 0) or 0
            text = f"{low + 1000 * n + 37}" + (".5" if n % 2 else "")
        elif kind == "boolean":
            flag = (n + walk_index) % 2 == 0
            return ("true" if flag else None), flag, []
        elif kind == "date":
            day = self.local_now().date() + (timedelta(days=1 + n % 20) if spec.get("future")
                                             else -timedelta(days=1 + n % 20))
            text = day.isoformat()
        elif kind == "datetime":
            base = self.local_now() + (timedelta(days=3 + n % 20) if spec.get("future") else -timedelta(days=1))
            text = base.replace(hour=8 + n % 10, minute=n % 60).strftime("%Y-%m-%dT%H:%M")
        elif kind == "enum":
            text = options[(n + walk_index) % len(options)]
        elif kind == "multienum":
            picked = [o for i, o in enumerate(options) if (i + n + walk_index) % 3 == 0]
            return picked or options[:1], picked or options[:1], []
        elif kind == "unit":
            text = self.units[(n + walk_index) % len(self.units)]
        elif kind == "credit_code":
            first17 = f"91350582MA{n:07d}"
            text = first17 + check_character(first17)
        elif kind == "phone":
            text = f"139{50590000 + n}"
        elif kind == "file":
            uploads = [(f"证据材料{n:04d}.txt", f"核查证据 {n}\n".encode())]
            if n % 3 == 0:
                uploads.append((f"evidence-{n:04d}.pdf", PDF))
            return None, None, uploads
        else:
            raise AssertionError(f"no generator for field type {kind!r}")
        return text, text, []

    def shown(self, spec: dict, typed, uploads) -> list[str]:
        """What the case page shows for the value: each string must appear."""
        kind = spec.get("type", "text")
        labels = {option["value"]: option["label"]["zh"] for option in spec.get("options") or []}
        if kind == "file":
            return [name for name, _content in uploads]
        if kind == "boolean":
            return ["是" if typed else "否"]
        if kind == "enum":
            return [labels[typed]]
        if kind == "multienum":
            return [labels[value] for value in typed]
        if kind == "unit":
            return [self.unit_names[typed]]
        if kind == "datetime":
            return [typed.replace("T", " ")]
        return [str(typed).strip()]


# -- the walk ------------------------------------------------------------------------------

@dataclass
class Expected:
    walk: str
    lead_id: int
    task_id: int
    process_id: str
    element_id: str
    step: str
    field_id: str
    label: str
    kind: str
    shown: list
    record: int = -1  # which of the task's step records shows it (a delegated task has two)


class Walker:
    def __init__(self, app, session_factory, clock):
        self.app = app
        self.session_factory = session_factory
        self.clock = clock
        self.runtime = app.extensions["duban"]
        self.processes = read_processes()
        self.decisions = decision_fields(self.processes)
        self.clients = {}
        with session_factory() as s:
            self.unit_names = {unit.code: unit.name_zh for unit in s.scalars(select(Unit).where(Unit.active.is_(True)))}
            self.usernames = set(s.scalars(select(User.username).where(User.active.is_(True))))
        self.values = Values(clock, self.unit_names)
        self.expected: list[Expected] = []
        self.visited: dict[tuple[str, str], int] = {}
        self.taken: dict[tuple[str, str], set] = {}
        self.trails: dict[str, list[str]] = {}
        self.retries: list[str] = []

    # -- people ---------------------------------------------------------------------------

    def client(self, username):
        if username not in self.clients:
            self.clients[username] = login(self.app.test_client(), username)
        return self.clients[username]

    def holder(self, task: HumanTask) -> str:
        if task.assignee:
            return task.assignee
        for username in task.candidate_user_list:
            return username
        for group in task.candidate_group_list:
            if group == "office_leader":
                return "office.leader"
            if f"{group}.officer" in self.usernames:
                return f"{group}.officer"
        raise AssertionError(f"no demo user holds task {task.id} {task.element_id} ({task.candidate_groups!r})")

    def actor(self, username):
        with self.session_factory() as s:
            return s.scalar(select(User).where(User.username == username)).to_actor()

    # -- a lead ------------------------------------------------------------------------------

    def register(self, walk: Walk, index: int) -> int:
        client = self.client("office.officer")
        page = client.get("/leads/new")
        token = csrf_of(page.text)
        n = self.values.next()
        first17 = f"91350582MB{n:07d}"
        form = {"channel": "hotline_12345", "summary": f"第{index}条走查线索：某养生馆以免费体检为名向老人推销保健品。",
                "received_at": (self.values.local_now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                "subject_mode": "new", "subject_name": f"晋江市走查{n:04d}健康管理有限公司",
                "subject_credit_code": first17 + check_character(first17), "sector": "food_health_products",
                "reporter_name": "王秀英", "reporter_phone": "13905951234", "csrf_token": token}
        if walk.major:
            form["major"] = "1"
        response = client.post("/leads/new", data=form)
        if response.status_code == 409:  # a likely duplicate of an earlier walk's lead: register anyway
            duplicate = re.search(r'name="register_anyway" value="(\d+)"', response.text)
            response = client.post("/leads/new", data={**form, "register_anyway": duplicate.group(1)})
        assert response.status_code == 302, response.text[:2000]
        return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    def instance_ids(self, lead_id: int, started: set[int]) -> set[int]:
        """The lead's instances found on our own (its process, its supervision, the risk
        processes we started, its subject's rectification items and their supervision);
        the case page's own reckoning (casefile.lead_instance_ids) must include them all."""
        with self.session_factory() as s:
            lead = s.get(Lead, lead_id)
            ours = {lead.instance_id} | started
            ours |= set(s.scalars(select(SupervisionCase.instance_id).where(
                SupervisionCase.kind == "lead", SupervisionCase.target_id == lead_id)))
            items = s.scalars(select(RectificationItem).where(RectificationItem.subject_id == lead.subject_id)).all()
            ours |= {item.instance_id for item in items}
            if items:
                ours |= set(s.scalars(select(SupervisionCase.instance_id).where(
                    SupervisionCase.kind == "rectification",
                    SupervisionCase.target_id.in_([item.id for item in items]))))
            ours.discard(None)
            page = casefile.lead_instance_ids(s, lead)
        assert ours <= page, f"lead {lead_id}: instances {sorted(ours - page)} are not on its case page"
        return ours

    def open_tasks(self, ids) -> list[HumanTask]:
        with self.session_factory() as s:
            tasks = s.scalars(select(HumanTask).where(HumanTask.instance_id.in_(ids), HumanTask.status == "open")
                              .order_by(HumanTask.id)).all()
            for task in tasks:
                task.candidate_group_list, task.candidate_user_list  # noqa: B018 - load before the session ends
                s.expunge(task)
            return tasks

    def waiting_timers(self, ids, element_ids=None) -> list[Timer]:
        with self.session_factory() as s:
            query = select(Timer).where(Timer.instance_id.in_(ids), Timer.status == "waiting")
            if element_ids is not None:
                query = query.where(Timer.element_id.in_(element_ids))
            return s.scalars(query.order_by(Timer.due_at, Timer.id)).all()

    def wait_for(self, timer: Timer) -> None:
        """Move the clock just past the timer and fire what fell due (and the escalation ladder)."""
        self.clock.set(max(self.clock.now(), timer.due_at) + timedelta(minutes=1))
        self.runtime.engine.fire_due_timers()
        self.runtime.escalator.run_due()

    def run(self, walk: Walk, index: int) -> int:
        lead_id = self.register(walk, index)
        trail = self.trails.setdefault(walk.name, [])
        used: dict[tuple[str, str], int] = {}
        lapses = dict(walk.lapse)
        started: set[int] = set()
        for _step in range(MAX_STEPS):
            ids = self.instance_ids(lead_id, started)
            tasks = self.open_tasks(ids)
            if tasks:
                task = tasks[0]
                process_id = self._process_of(task)
                if lapses.get(task.element_id):
                    boundaries = self.processes[process_id]["boundaries"].get(task.element_id, [])
                    timers = self.waiting_timers([task.instance_id], boundaries)
                    assert timers, f"{walk.name}: {task.element_id} has no waiting deadline timer to lapse"
                    lapses[task.element_id] -= 1
                    trail.append(f"[{task.element_id} lapses: {timers[0].element_id}]")
                    self.wait_for(timers[0])
                    continue
                data = self.complete(walk, index, lead_id, task, process_id, used)
                trail.append(task.element_id)
                if task.element_id == "feedback_lead" and data.get("risk_disposal_started") and not started:
                    started.add(self.start_risk_disposal(lead_id, self.holder(task)))
                    trail.append("[risk_disposal started]")
                continue
            timers = self.waiting_timers(ids)
            if not timers:
                if self.report_completions():  # the closed lead's report: its worker's, nobody's task
                    trail.append("[report worker]")
                    continue
                break
            trail.append(f"[timer {timers[0].element_id}]")
            self.wait_for(timers[0])
        else:
            raise AssertionError(f"walk {walk.name!r} did not end within {MAX_STEPS} steps: {trail}")
        with self.session_factory() as s:
            states = {(i.process_id, i.id): i.status for i in s.scalars(
                select(ProcessInstance).where(ProcessInstance.id.in_(self.instance_ids(lead_id, started))))}
        assert all(state == "completed" for state in states.values()), f"{walk.name}: {states}; trail {trail}"
        return lead_id

    def _process_of(self, task: HumanTask) -> str:
        with self.session_factory() as s:
            return s.get(ProcessInstance, task.instance_id).process_id

    def start_risk_disposal(self, lead_id: int, username: str) -> int:
        """Graded disposal of the lead's institution, as the officer who reported it started."""
        return start_risk_disposal(self.runtime.engine, self.actor(username), lead_id=lead_id)

    def report_completions(self) -> int:
        """The report worker's pass (no platform here: the reports are recorded); how many it handled."""
        return ReportWorker(self.runtime.engine, worker_id="walker").run_once().handled

    # -- one task -----------------------------------------------------------------------------

    def choose(self, walk: Walk, key, used) -> object:
        script = walk.choices.get(key)
        position = used.get(key, 0)
        used[key] = position + 1
        if script and position < len(script):
            return script[position]
        if key in FORWARD:
            return FORWARD[key]
        return script[-1] if script else None

    def fill(self, walk: Walk, index: int, form: dict, used) -> tuple[dict, dict, dict]:
        """(raw request values, typed values, uploads) for the visible fields of the form."""
        raw, typed, uploads = {}, {}, {}
        for spec in form["fields"]:
            key = (form["key"], spec["id"])
            chosen = self.choose(walk, key, used) if key in self.decisions or key in walk.choices else None
            if chosen is None and key in self.decisions:  # a decision no script or FORWARD steers
                options = self.decisions[key]
                chosen = options[index % len(options)]
            raw[spec["id"]], typed[spec["id"]], uploads[spec["id"]] = self.values.value(spec, index, chosen)
        hidden, previous = set(), None
        while hidden != previous:  # a field hidden by a hidden field is hidden too
            previous = hidden
            hidden = hidden_fields(form, {k: (None if k in previous else v) for k, v in typed.items()})
        # A reason for a grade other than the one by rule is written only when the page asks for it
        # (domain.decision_fields): without a change it is not kept, so it is filled in on a refusal.
        for field_id in hidden | override_reasons(form):
            raw.pop(field_id), typed.pop(field_id), uploads.pop(field_id)
        return raw, typed, uploads

    def post(self, client, task, raw, uploads, token):
        data = {"csrf_token": token}
        for field_id, value in raw.items():
            if value is not None:
                data[field_id] = value
        for field_id, files in uploads.items():
            if files:
                data[f"{field_id}__upload"] = [(io.BytesIO(content), name) for name, content in files]
        return client.post(f"/tasks/{task.id}/complete", data=data, content_type="multipart/form-data")

    def complete(self, walk: Walk, index: int, lead_id: int, task: HumanTask, process_id: str, used,
                 username: str | None = None, record: int = -1) -> dict:
        """Fill in the task's form as `username` (its holder) and submit it: the task is completed,
        or, submitted by a delegate, handed back to its owner. `record`: which of the task's step
        records (in order) must show the values."""
        username = username or self.holder(task)
        client = self.client(username)
        page = client.get(f"/tasks/{task.id}")
        assert page.status_code == 200, f"{username} cannot open task {task.id} {task.element_id}"
        form = load_form(task.form_key)
        for spec in form["fields"]:
            name = spec["id"] + ("__upload" if spec.get("type") == "file" else "")
            assert f'name="{name}"' in page.text, f"{task.form_key}: the page has no input {name}"
        token = csrf_of(page.text)
        raw, typed, uploads = self.fill(walk, index, form, used)
        response = self.post(client, task, raw, uploads, token)
        if response.status_code == 422:
            errors = field_errors(response.text)
            self.retries.append(f"{task.element_id}: {errors}")
            # Fix what can be fixed: a new value of the same kind for each refused field.
            for field_id in errors:
                spec = next((s for s in form["fields"] if s["id"] == field_id), None)
                if spec is not None and (field_id in raw or field_id in override_reasons(form)):
                    raw[field_id], typed[field_id], uploads[field_id] = self.values.value(spec, index + 1)
            response = self.post(client, task, raw, uploads, token)
        assert response.status_code in (302, 303), (
            f"{walk.name}: {task.element_id} refused {raw}: {field_errors(response.text) or response.text[:3000]}")
        with self.session_factory() as s:
            done = s.get(HumanTask, task.id)
            delegated = task.delegation_state == "pending"
            assert (done.status, done.delegation_state) == (("open", "resolved") if delegated else
                                                            ("completed", done.delegation_state)), (
                f"{task.element_id}: {done.status}/{done.delegation_state} after a successful POST")
        if not delegated:
            self.visited[(process_id, task.element_id)] = self.visited.get((process_id, task.element_id), 0) + 1
        for spec in form["fields"]:
            field_id = spec["id"]
            if field_id not in typed:
                continue
            key = (form["key"], field_id)
            if key in self.decisions and not delegated:
                self.taken.setdefault(key, set()).add(typed[field_id])
            self.expected.append(Expected(walk.name, lead_id, task.id, process_id, task.element_id, task.name,
                                          field_id, field_label(spec, "zh"), spec.get("type", "text"),
                                          self.values.shown(spec, typed[field_id], uploads[field_id]), record))
        return typed

    def action(self, who: str, task_id: int, action: str, **data):
        """A task operation (/tasks/<id>/<action>) through the task page's form, by `who`."""
        client = self.client(who)
        token = csrf_of(client.get(f"/tasks/{task_id}").text)
        response = client.post(f"/tasks/{task_id}/{action}", data={**data, "csrf_token": token})
        assert response.status_code in (302, 303), f"{action} by {who}: {response.status_code}"
        with client.session_transaction() as session:
            flashes = session.get("_flashes", [])
        assert not [text for category, text in flashes if category == "error"], f"{action}: {flashes}"


def override_reasons(form: dict) -> set[str]:
    """The form's reason fields for a value other than the one a decision table gives."""
    return {spec["decision"]["override_reason"] for spec in form["fields"]
            if spec.get("decision", {}).get("override_reason")}


def csrf_of(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def field_errors(page: str) -> dict[str, str]:
    """{field id: message} shown beside the fields of a refused form."""
    return {key: unescape(text) for key, text in re.findall(r'id="error-([\w-]+)" role="alert">([^<]+)<', page)}


# -- reading the case page ---------------------------------------------------------------

def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html)).strip()


def step_cards(page: str) -> dict[int, list[dict[str, list[str]]]]:
    """{task id: [{field label: [shown texts]} per step record, in order]} of the case page's
    流转意见 chain; the record's opinion line (办理意见) is under the label "办理意见"."""
    section = re.search(r'<section[^>]*id="step-chain".*?</section>', page, re.S)
    assert section, "the case page has no step chain (id=step-chain)"
    cards = {}
    for chunk in re.split(r'(?=<div class="card mb-2 step-record)', section.group(0))[1:]:
        link = re.search(r'href="/tasks/(\d+)"', chunk)
        assert link, f"a step record without a link to its task: {chunk[:300]}"
        pairs = {}
        for label, value in re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", chunk, re.S):
            pairs.setdefault(_text(label), []).append(_text(value))
        opinion = re.search(r'<div class="step-opinion[^"]*">(.*?)</div>', chunk, re.S)
        if opinion:
            pairs.setdefault("办理意见", []).append(_text(opinion.group(1)).split("：", 1)[-1])
        cards.setdefault(int(link.group(1)), []).append(pairs)
    return cards


def missing_from(page: str, expected: list[Expected]) -> list[str]:
    cards = step_cards(page)
    whole = _text(page)
    misses = []
    for item in expected:
        where = f"{item.walk} / {item.process_id}.{item.element_id}（{item.step}，任务{item.task_id}）" \
                f" / {item.field_id}（{item.label}）"
        records = cards.get(item.task_id) or []
        try:
            card = records[item.record]
        except IndexError:
            misses.append(f"{where}: no step record on the case page ({len(records)} records of the task)")
            continue
        shown = card.get(item.label)
        if shown is None:
            elsewhere = [text for text in item.shown if text in whole]
            misses.append(f"{where}: not in its step record (value {item.shown!r}"
                          f"{', found elsewhere on the page' if elsewhere else ''})")
            continue
        if item.kind in ("multienum", "file"):  # each item, as the record lists them (、)
            listed = [part for value in shown for part in value.split("、")]
            wrong = [text for text in item.shown if text not in listed]
        else:  # the value exactly as people read it
            wrong = [text for text in item.shown if text not in shown]
        if wrong:
            misses.append(f"{where}: {wrong!r} not shown (the record shows {shown!r})")
    return misses


# -- the test --------------------------------------------------------------------------------

def test_every_value_entered_on_every_path_is_on_the_case_page(demo, session_factory, clock):
    began = time.monotonic()
    walker = Walker(demo, session_factory, clock)
    leads = {}
    for index, walk in enumerate(WALKS):
        leads[walk.name] = walker.run(walk, index)

    # Every value, on the lead's case page as the special office reads it.
    office = walker.client("office.officer")
    misses = []
    for walk in WALKS:
        lead_id = leads[walk.name]
        page = office.get(f"/leads/{lead_id}")
        assert page.status_code == 200
        misses += missing_from(page.text, [item for item in walker.expected if item.lead_id == lead_id])

    # Coverage: every user task a lead can reach, every option of every decision field reached.
    all_tasks = {(process_id, element_id): info["tasks"][element_id][0]
                 for process_id, info in walker.processes.items() for element_id in info["tasks"]}
    not_reached = sorted(set(all_tasks) - set(walker.visited) - set(UNREACHABLE))
    reached_forms = {walker.processes[p]["tasks"][e][1] for p, e in walker.visited}
    options_missed = {key: [o for o in options if o not in walker.taken.get(key, set())]
                      for key, options in walker.decisions.items() if key[0] in reached_forms}
    options_missed = {key: left for key, left in options_missed.items() if left}

    report = ["", f"nothing-lost walk: {len(WALKS)} walks, {sum(walker.visited.values())} task completions, "
              f"{len(walker.expected)} values checked, {time.monotonic() - began:.1f} s"]
    for walk in WALKS:
        report.append(f"  {walk.name}: {' → '.join(walker.trails[walk.name])}")
    report.append(f"user tasks covered: {len(walker.visited)} of {len(all_tasks)}")
    for (process_id, element_id), times in sorted(walker.visited.items()):
        report.append(f"  {process_id}.{element_id}（{all_tasks[(process_id, element_id)]}）×{times}")
    report.append("decision options taken:")
    for key, options in sorted(walker.decisions.items()):
        if key[0] in reached_forms:
            report.append(f"  {key[0]}.{key[1]}: {sorted(map(str, walker.taken.get(key, set())))} of "
                          f"{[str(o) for o in options]}")
    if walker.retries:
        report.append(f"refused at first and retried: {walker.retries}")
    print("\n".join(report))

    assert not misses, f"{len(misses)} submitted values are not on the case page:\n" + "\n".join(misses)
    assert not not_reached, f"user tasks no walk reached: {not_reached}"
    assert not options_missed, f"decision options no walk took: {options_missed}"


def test_what_delegates_co_handlers_and_send_backs_enter_is_on_the_case_page(demo, session_factory, clock):
    """委派: the delegate's values (handed back to the owner) and the owner's own, each in its step
    record; 会签: the co-handler's opinion; 退回: the reason, as the sent-back step's opinion."""
    walker = Walker(demo, session_factory, clock)
    walk = Walk("委派、会签、退回")
    lead_id = walker.register(walk, 0)
    used = {}

    def next_task() -> HumanTask:
        return walker.open_tasks(walker.instance_ids(lead_id, set()))[0]

    for _ in range(2):  # 研判分流, 签收线索
        walker.complete(walk, 0, lead_id, next_task(), "lead_handling", used)
    verify = next_task()
    holder = walker.holder(verify)
    head = holder.split(".")[0] + ".supervisor"
    walker.action(holder, verify.id, "cosigners", username=head, reason="请所长会签：甲乙加签理由")
    walker.action(head, verify.id, "sign", opinion="同意核查结论：甲乙会签意见")
    walker.action(holder, verify.id, "delegate", to_user=head, reason="请所长代为核实：甲乙委派理由")
    walker.complete(walk, 0, lead_id, next_task(), "lead_handling", used, username=head, record=0)
    walker.complete(walk, 0, lead_id, next_task(), "lead_handling", used, username=holder, record=1)
    feedback = next_task()
    assert feedback.element_id == "feedback_lead"
    walker.action(holder, feedback.id, "send-back", reason="核查材料不全：甲乙退回理由")

    page = walker.client("office.officer").get(f"/leads/{lead_id}").text
    misses = missing_from(page, walker.expected)
    assert not misses, f"{len(misses)} submitted values are not on the case page:\n" + "\n".join(misses)
    assert len(step_cards(page)[verify.id]) == 2  # the delegate's record and the owner's
    assert [card.get("办理意见") for card in step_cards(page)[feedback.id]] == [["核查材料不全：甲乙退回理由"]]
    shown = _text(page)
    for said in ("请所长会签：甲乙加签理由", "同意核查结论：甲乙会签意见", "请所长代为核实：甲乙委派理由"):
        assert said in shown, said
