"""Readable everywhere: no internal identifier reaches a person.

Pages, notifications (in-app and e-mail), escalation items, timelines and exports show
no audit action name, unit code, process id, escalation rung or username; people read
as 姓名（单位）, and every notification and escalation names its case ("XS-2026-000021
新塘康泰养生会馆"). The identifiers come from the code's own registries: the audit actions
the code writes (read from its source), the units and users of the demo, the deployed
processes, the rungs of engine.ladder.

The walk-through: a lead registered by the special office, dispatched to market
regulation, escalated when nobody feeds back in time (up to the red card and the unit's
supervision case), handled by the supervisor, closed by the office and reported upward by
the report worker. Its pages are
fetched through the Flask test client as each role, in Chinese and in English.
"""
import ast
import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from domain import wording
from domain.demo import DEMO_ACTOR, credit_code
from domain.labels import ROLE, UNIT
from domain.models import Lead, SupervisionCase, Unit, User
from engine.identity import SYSTEM
from engine.ladder import RUNG_ACTIONS
from engine.store.models import HumanTask, ProcessDefinition
from notifications.models import Delivery
from notifications.templates import DEFAULT_REGISTRY, EN, ZH_CN
from tests import scenario_support as forms
from tests.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parents[1]
CODE = ("engine", "domain", "web", "notifications")
SUBJECT = "新塘康泰养生会馆"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CASE_NUMBER = re.compile(r"\b(?:XS|ZG|DB|PC|YB)-\d{4}-\d{6}\b")


# -- the audit actions the code writes -------------------------------------------------------------

def _action_expressions():
    """(file, line, expression) of the action argument of every audit(...) call and Change(...)
    the code makes: `ctx.audit(action, ...)`, `audit(session, actor, action, ...)` (domain.audit),
    `Change(action, ...)` (engine.projection: the engine audits these)."""
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                position = None
                if isinstance(func, ast.Attribute) and func.attr == "audit":
                    position = 0
                elif isinstance(func, ast.Name) and func.id == "audit":
                    position = 2
                elif isinstance(func, ast.Name) and func.id == "Change":
                    position = 0
                if position is None:
                    continue
                argument = next((k.value for k in node.keywords if k.arg == "action"), None)
                if argument is None and len(node.args) > position:
                    argument = node.args[position]
                if argument is not None:
                    yield path.relative_to(ROOT), node.lineno, argument


def _actions_of(expression) -> set[str] | None:
    """The action names an expression may take; None when it cannot be read from the code."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return {expression.value}
    if isinstance(expression, ast.IfExp):
        body, orelse = _actions_of(expression.body), _actions_of(expression.orelse)
        return None if body is None or orelse is None else body | orelse
    if isinstance(expression, ast.JoinedStr):
        parts = expression.values
        if (len(parts) == 2 and isinstance(parts[0], ast.Constant) and parts[0].value == "escalation."
                and isinstance(parts[1], ast.FormattedValue) and ast.unparse(parts[1].value) == "step.rung"):
            return {f"escalation.{rung}" for rung in RUNG_ACTIONS}
    return None


# Actions passed on from a variable whose values the scan finds elsewhere (Change(...) constants).
RELAYED = {"change.action"}


def written_actions() -> set[str]:
    found, unreadable = set(), []
    for path, line, expression in _action_expressions():
        actions = _actions_of(expression)
        if actions is None:
            if ast.unparse(expression) not in RELAYED:
                unreadable.append(f"{path}:{line}: {ast.unparse(expression)}")
        else:
            found |= actions
    assert unreadable == [], "audit actions the scan cannot read (write them as constants): " + "; ".join(unreadable)
    return found


def test_every_audit_action_the_code_writes_has_wording():
    actions = written_actions()
    assert {"lead.updated", "timer.cancelled", "attachment.added", "task.draft_saved", "escalation.overdue",
            "escalation.accountability", "task.created", "subject.created"} <= actions  # the scan reads them all
    missing = sorted(action for action in actions if action not in wording.ACTIONS)
    assert missing == [], f"audit actions without wording in domain/wording.py ACTIONS: {missing}"
    for action, text in wording.ACTIONS.items():
        assert text["zh"] and text["en"], action
        assert not re.search(r"[a-z]", text["zh"]), (action, text["zh"])  # Chinese wording has no English in it


def test_every_rung_has_a_name_and_a_reason_in_both_languages():
    for rung in RUNG_ACTIONS:
        for locale in ("zh", "en"):
            assert wording.rung_name(rung, locale) and wording.rung_reason(rung, locale)
            assert rung not in wording.rung_reason(rung, "zh")
    assert wording.rung_name("overdue") == "逾期" and wording.rung_reason("overdue") == "超过办理期限未办结"
    assert wording.action_label("no.such.action") == "其他操作"  # never the bare name


def test_people_read_as_name_and_unit(session_factory, field_key, clock):
    from domain.demo import create_units, create_users
    with session_factory() as session:
        create_units(session)
        create_users(session)
        session.commit()
        labels = wording.person_labels(session, ["market.officer", "office.leader", SYSTEM.username, DEMO_ACTOR,
                                                 "nobody.known"])
        officer = session.scalar(select(User).where(User.username == "market.officer"))
        assert labels["market.officer"] == f"{officer.display_name}（新塘市场监督管理所）"
        assert labels[SYSTEM.username] == labels[DEMO_ACTOR] == "系统"
        assert labels["nobody.known"] == "nobody.known"
        english = wording.person_label(session, "market.officer", "en")
        assert english == f"{officer.display_name} (Xintang Market Regulation Station)"
        assert wording.unit_name(session, "community_tangshi") == "塘市社区"
        assert wording.unit_name(session, "office_leader", "en") == "Special office leader"


# -- what is visible -------------------------------------------------------------------------

class _Visible(HTMLParser):
    """The text a person sees: no tags, no attribute values, no scripts or styles. JSON data islands
    (<script type="application/json">, drawn as charts) count with their string values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip, self._json = [], 0, None

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            if tag == "script" and dict(attrs).get("type") == "application/json":
                self._json = []
            else:
                self._skip += 1

    def handle_endtag(self, tag):
        if tag == "script" and self._json is not None:
            self.parts.extend(_json_strings(json.loads("".join(self._json) or "null")))
            self._json = None
        elif tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._json is not None:
            self._json.append(data)
        elif not self._skip:
            self.parts.append(data)


def _json_strings(value, key=None):
    if isinstance(value, dict):
        return [text for k, v in value.items() if k not in ("url", "colour") for text in _json_strings(v, k)]
    if isinstance(value, list):
        return [text for item in value for text in _json_strings(item, key)]
    return [value] if isinstance(value, str) else []


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


class Identifiers:
    """The code's own names. In Chinese text any of them is a leak; in English text only those that
    are not also plain English words (lead.updated, civil_affairs, market.officer; not "market")."""

    def __init__(self, session):
        self.actions = written_actions() | set(wording.ACTIONS)
        self.units = set(session.scalars(select(Unit.code))) | set(UNIT) | set(ROLE)  # candidate groups
        self.processes = set(session.scalars(select(ProcessDefinition.process_id)))
        self.rungs = set(RUNG_ACTIONS)
        self.users = set(session.scalars(select(User.username))) | {SYSTEM.username, DEMO_ACTOR}
        everything = self.actions | self.units | self.processes | self.rungs | self.users
        self.chinese = self._pattern(everything, re.IGNORECASE)
        self.english = self._pattern({name for name in everything if re.search(r"[._]", name)}, 0)

    @staticmethod
    def _pattern(names, flags):
        alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
        # ASCII word boundaries: "market承办" is a leak although 承 is a word character to `re`.
        return re.compile(rf"(?<![A-Za-z0-9_.])(?:{alternatives})(?![A-Za-z0-9_])", flags)

    def leaks(self, text: str, locale: str) -> list[str]:
        """Each identifier found, with the text around it."""
        pattern = self.english if locale == "en" else self.chinese
        return sorted({f"{match.group(0)} in …{text[max(0, match.start() - 30):match.end() + 30]}…"
                       for match in pattern.finditer(text)})


def test_identifiers_are_found_beside_chinese_text(session_factory, field_key, clock):
    from domain.demo import create_units, create_users
    with session_factory() as session:
        create_units(session)
        create_users(session)
        session.commit()
        names = Identifiers(session)
    assert names.leaks("【升级】market：提交整改材料", "zh") and names.leaks("market承办的任务", "zh")
    assert names.leaks("升级：overdue", "zh") and names.leaks("由market.officer办理", "zh")
    assert names.leaks("Market Regulation Station", "zh")  # no English on Chinese pages
    assert not names.leaks("Xintang Market Regulation Station; overdue", "en")  # plain English words
    assert names.leaks("handled by civil_affairs", "en") and names.leaks("by market.officer.", "en")
    assert not names.leaks("XS-2026-000021 新塘康泰养生会馆 王国栋（新塘市场监督管理所）", "zh")


def test_visible_text_is_the_text_a_person_sees():
    html = ('<html><head><title>待办</title><script>var x = "lead.updated";</script></head><body>'
            '<a href="/supervise/units/market" data-rung="overdue">市场所</a><option value="market.officer">王国栋'
            '</option><script type="application/json">{"categories": ["新塘派出所"], "url": "/x?unit=police"}'
            '</script><!-- task.created --></body></html>')
    assert visible_text(html) == "待办 市场所 王国栋 新塘派出所"


# -- the walk-through ------------------------------------------------------------------------

def _switch(client, username, locale="zh"):
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, username)
    client.get(f"/lang/{locale}")


def _post(client, path, data=None, **kwargs):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def _open(session_factory, element_id, instance_id) -> HumanTask:
    with session_factory() as s:
        return s.scalars(select(HumanTask).where(HumanTask.element_id == element_id, HumanTask.status == "open",
                                                 HumanTask.instance_id == instance_id)).one()


def _complete(client, session_factory, element_id, instance_id, raw):
    task = _open(session_factory, element_id, instance_id)
    if task.assignee is None:
        _post(client, f"/inbox/{task.id}/claim")
    response = _post(client, f"/tasks/{task.id}/complete", raw)
    assert response.status_code in (302, 303), (element_id, response.status_code, visible_text(response.text)[:500])
    return task


@pytest.fixture
def walk(client, demo, clock, session_factory):
    """The lead from registration through closure, with its escalation; returns what the checks need."""
    runtime = demo.extensions["duban"]
    with session_factory.begin() as s:  # the office's supervisor (who oversees every unit) reads English
        s.execute(update(User).where(User.username == "office.supervisor").values(locale="en"))

    login(client, "office.officer")
    form = {"channel": "hotline_12345", "received_at": "2026-03-02T08:30", "external_ref": "12345-20260302-0077",
            "summary": "来电反映新塘康泰养生会馆以免费理疗为名向老人推销高价保健品。", "subject_mode": "new",
            "subject_name": SUBJECT, "subject_credit_code": credit_code("91350582MA8UB3C2X"),
            "sector": "food_health_products", "reporter_name": "王秀英", "reporter_phone": "13905951234"}
    response = _post(client, "/leads/new", form)
    assert response.status_code == 302, visible_text(response.text)[:500]
    lead_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with session_factory() as s:
        lead = s.get(Lead, lead_id)
        number, instance_id, subject_id = lead.number, lead.instance_id, lead.subject_id

    triage = _open(session_factory, "triage_lead", instance_id)
    _post(client, f"/inbox/{triage.id}/claim")
    _post(client, f"/tasks/{triage.id}/draft", {"triage_opinion": "先暂存"})
    _post(client, f"/tasks/{triage.id}/comments", {"text": "请市场监管所重点核查收费情况"})
    _complete(client, session_factory, "triage_lead", instance_id, forms.triage_dispatch(unit="market", workdays=15))

    _switch(client, "market.officer")
    _complete(client, session_factory, "accept_lead", instance_id, forms.accept())
    verify = _open(session_factory, "verify_lead", instance_id)
    _post(client, f"/inbox/{verify.id}/claim")
    _post(client, f"/tasks/{verify.id}/attachments", {"file": (BytesIO(PDF), "现场检查笔录.pdf")},
          content_type="multipart/form-data")

    # Nobody feeds back in time: the ladder climbs to the supervisors, then to the office's leaders
    # (and the demo's other late tasks on to red cards and their units' supervision cases).
    for days in (24, 10):
        clock.advance(timedelta(days=days))
        runtime.engine.fire_due_timers()
        runtime.escalator.run_due()
        runtime.notifier.deliver_due(limit=1000)

    # The escalated moment, as the supervisors and the leader see it (these items resolve once handled).
    escalated = {}
    for username in ("market.supervisor", "office.leader"):
        for locale in ("zh", "en"):
            _switch(client, username, locale)
            for path in ("/supervise/escalations", f"/supervise/tasks/{verify.id}", "/supervise/units/market",
                         "/supervise/board", "/notifications/", f"/tasks/{verify.id}", f"/leads/{lead_id}"):
                response = client.get(path)
                assert response.status_code == 200, (username, path)
                escalated[f"{username} {locale} {path} (escalated)"] = response.text

    _switch(client, "market.supervisor")
    page = client.get("/supervise/escalations")
    item = re.search(rf'<tr data-escalation-id="(\d+)" data-task-id="{verify.id}"', page.text)
    assert item, "the verification's escalation is in the supervisor's inbox"
    _post(client, f"/supervise/escalations/{item.group(1)}/acknowledge",
          {"reason": "已电话督促", "next": "/supervise/escalations"})
    _post(client, f"/supervise/tasks/{verify.id}/remind", {"reason": "请于今日反馈", "next": "/supervise/escalations"})
    _post(client, f"/supervise/tasks/{verify.id}/supervise",
          {"level": "ordinary", "reason": "群众反映强烈", "next": "/supervise/escalations"})
    _post(client, f"/supervise/tasks/{verify.id}/reassign",
          {"assignee": "market.supervisor", "reason": "所长亲自核实", "next": "/supervise/escalations"})
    _complete(client, session_factory, "verify_lead", instance_id, forms.verify(subject_name=SUBJECT))
    _complete(client, session_factory, "feedback_lead", instance_id, forms.feedback())

    _switch(client, "office.officer")
    _complete(client, session_factory, "review_feedback", instance_id, forms.review("accept"))
    reported = demo.test_cli_runner().invoke(args=["report-worker", "--once"])  # 报送办结情况: the worker's
    assert reported.exit_code == 0 and "2 recorded without sending" in reported.output, reported.output
    for kind in ("assignment", "closure_report"):  # official documents: their print pages are crawled too
        assert _post(client, f"/leads/{lead_id}/documents", {"kind": kind, "target": "lead"}).status_code == 302
    runtime.notifier.deliver_due(limit=1000)
    with session_factory() as s:
        assert s.get(Lead, lead_id).status == "closed"
        # The lead's instances: its handling and the supervision of it.
        instances = [instance_id] + list(s.scalars(select(SupervisionCase.instance_id).where(
            SupervisionCase.kind == "lead", SupervisionCase.target_id == lead_id)))
        task_ids = list(s.scalars(select(HumanTask.id).where(HumanTask.instance_id.in_(instances))))
    return SimpleNamespace(lead_id=lead_id, number=number, instance_id=instance_id, subject_id=subject_id,
                           verify_id=verify.id, task_ids=task_ids, case=f"{number} {SUBJECT}", escalated=escalated)


FOLLOW = re.compile(r'href="(/(?:tasks/\d+|leads/\d+|subjects/\d+|documents/\d+|supervise/tasks/\d+|supervise/units/\w+'
                    r'|dashboard/list\?[^"]*|notifications/|inbox/[a-z]*))"')
ROLES = ("office.officer", "market.officer", "market.supervisor", "office.leader")


def _pages(client, walk) -> dict[str, str]:
    """The walk-through's pages this user may open, and the pages they link to."""
    seeds = ["/inbox/", "/inbox/done", "/inbox/cc", "/notifications/", "/leads", f"/leads/{walk.lead_id}",
             f"/subjects/{walk.subject_id}", "/leads/new", "/about", "/supervise/", "/supervise/escalations",
             "/supervise/escalations?status=acknowledged", "/supervise/board", "/supervise/units/market",
             f"/supervise/tasks/{walk.verify_id}", "/dashboard/", "/dashboard/reports?month=2026-03",
             "/dashboard/reports?month=2026-04"] + [f"/tasks/{task_id}" for task_id in walk.task_ids]
    pages, queue, per_kind = {}, list(seeds), {}
    while queue:
        path = queue.pop(0).replace("&amp;", "&")
        if path in pages:
            continue
        kind = re.sub(r"[\d?].*", "", path)
        per_kind[kind] = per_kind.get(kind, 0) + 1
        if per_kind[kind] > 40 and path not in seeds:
            continue
        response = client.get(path)
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        pages[path] = response.text
        if path in seeds:
            queue += [link for link in FOLLOW.findall(response.text) if link not in pages]
    return pages


def test_the_walk_through_pages_show_no_internal_identifier(client, walk, session_factory):
    with session_factory() as s:
        names = Identifiers(s)
    leaks, seen = {}, set()
    pages = {}
    for username in ROLES:
        for locale in ("zh", "en"):
            _switch(client, username, locale)
            for path, html in _pages(client, walk).items():
                seen.add(path)
                pages[f"{username} {locale} {path}"] = html
    for page, html in {**pages, **walk.escalated}.items():
        found = names.leaks(visible_text(html), "en" if " en " in page else "zh")
        if found:
            leaks[page] = found
    assert not leaks, "identifiers on pages:\n" + "\n".join(f"{page}: {found}" for page, found in leaks.items())
    # The walk-through's pages were all there: every step, the case, the escalation pages, the dashboard.
    assert {f"/leads/{walk.lead_id}", "/supervise/escalations", "/supervise/board", "/dashboard/",
            f"/supervise/tasks/{walk.verify_id}"} <= seen
    assert {f"/tasks/{task_id}" for task_id in walk.task_ids} <= seen
    assert any(path.startswith("/dashboard/list") for path in seen)


def test_timelines_name_people_and_actions_in_plain_words(client, walk, session_factory):
    with session_factory() as s:
        officer = wording.person_label(s, "market.officer")
        supervisor = wording.person_label(s, "market.supervisor")
    _switch(client, "office.officer")
    case = visible_text(client.get(f"/leads/{walk.lead_id}").text)
    task = visible_text(client.get(f"/tasks/{walk.verify_id}").text)
    for text in (case, task):
        assert "签收" in text and "上传证据材料" in text and "办理完成" in text
        assert officer in text and "（新塘市场监督管理所）" in officer
        assert wording.action_label("escalation.overdue") in text
        assert wording.action_label("escalation.leader") in text
        assert "升级：" not in text
    assert supervisor in case and wording.action_label("task.draft_saved") in task
    assert wording.action_label("lead.updated") in case and "系统" in case


def test_escalation_items_name_the_case(walk):
    """Every row of the supervisors' and the leader's escalation inbox names its case; the walk-through's
    rows name it as "XS-2026-000021 新塘康泰养生会馆"."""
    for username in ("market.supervisor", "office.leader"):
        for locale in ("zh", "en"):
            page = walk.escalated[f"{username} {locale} /supervise/escalations (escalated)"]
            rows = [visible_text(row) for row in re.findall(r'<tr data-escalation-id="\d+".*?</tr>', page, re.S)]
            assert rows, (username, locale)
            assert all(CASE_NUMBER.search(row) for row in rows), rows
            mine = [visible_text(row) for row in re.findall(
                rf'<tr data-escalation-id="\d+" data-task-id="{walk.verify_id}".*?</tr>', page, re.S)]
            assert mine and all(walk.case in row for row in mine), (username, locale, mine)
            panel = visible_text(walk.escalated[f"{username} {locale} /supervise/tasks/{walk.verify_id} (escalated)"])
            assert walk.case in panel and wording.rung_name("overdue", locale) in panel


def test_notifications_name_the_case_and_show_no_identifier(client, walk, session_factory):
    with session_factory() as s:
        names = Identifiers(s)
        deliveries = s.scalars(select(Delivery)).all()
    assert deliveries
    kinds = {d.kind for d in deliveries}
    assert {"task.reminder", "task.overdue", "escalation.raised", "supervision.started"} <= kinds
    assert {d.locale for d in deliveries} == {ZH_CN, EN}
    leaks = {}
    for delivery in deliveries:
        text = f"{delivery.title} {delivery.body}"
        found = names.leaks(text, "en" if delivery.locale == EN else "zh")
        if found:
            leaks[f"{delivery.kind} {delivery.locale}: {delivery.title}"] = found
        assert CASE_NUMBER.search(delivery.title), delivery.title
    assert leaks == {}
    about_walk = [d for d in deliveries if walk.number in d.title]
    assert about_walk and all(walk.case in d.title for d in about_walk)
    escalated = [d for d in about_walk if d.kind == "escalation.raised"]
    assert any("升级原因：超过办理期限未办结" in d.body for d in escalated if d.locale == ZH_CN)
    assert any("not completed by its deadline" in d.body for d in escalated if d.locale == EN)
    # In the notifications page, as the recipients read them.
    for username, locale in (("market.supervisor", "zh"), ("office.supervisor", "en"), ("market.officer", "zh")):
        _switch(client, username, locale)
        inbox = visible_text(client.get("/notifications/").text)
        assert walk.case in inbox and not names.leaks(inbox, locale), (username, inbox)


def test_every_notification_template_renders_without_identifiers(client, demo, walk, session_factory):
    """Each kind of the registry, in Chinese and English, with the context the escalator builds for a
    task of the walk-through (the engine's own notifications use this context)."""
    escalator = demo.extensions["duban"].escalator
    with session_factory() as s:
        names = Identifiers(s)
        task = s.get(HumanTask, walk.verify_id)
        ctx = SimpleNamespace(session=s, now=task.created_at)
        context = escalator._context(ctx, task, reason=escalator._reason(ctx, task, "overdue"))
        context["recipient_name"] = wording.person_label(s, "market.supervisor")
    assert set(DEFAULT_REGISTRY.kinds()) >= {"task.assigned", "escalation.raised", "accountability.opened"}
    for kind in DEFAULT_REGISTRY.kinds():
        for locale in (ZH_CN, EN):
            message = DEFAULT_REGISTRY.render(kind, locale, context)
            text = f"{message.title} {message.body}"
            assert walk.case in message.title, (kind, locale, message.title)
            assert names.leaks(text, "en" if locale == EN else "zh") == [], (kind, locale, text)
            if locale == ZH_CN:
                assert "新塘市场监督管理所" in text or "市场" not in text


def test_exports_show_no_internal_identifier(client, walk, session_factory):
    from openpyxl import load_workbook
    with session_factory() as s:
        names = Identifiers(s)
    _switch(client, "office.leader")
    for path in ("/dashboard/reports.xlsx?month=2026-03", "/dashboard/reports.xlsx?month=2026-04",
                 "/dashboard/ledger.xlsx"):
        response = client.get(path)
        assert response.status_code == 200, path
        workbook = load_workbook(BytesIO(response.data))
        text = " ".join(str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                        for cell in row if isinstance(cell, str))
        assert names.leaks(text, "zh") == [], path
