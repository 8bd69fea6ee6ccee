"""Supervisor pages: the escalations inbox, the overdue board, a unit's workload and
the 督办 actions, through the Flask test client on the demo data.

The demo is built on Monday 2 March 2026, 09:00 Beijing, its history played through the
processes (domain.demo_story). Market regulation has two tasks late, escalated to its
supervisors when they fell due: a rectification (提交整改材料) due Friday 27 February 18:00
and a lead's feedback (查办反馈) due Saturday 28 February 18:00 (a 调休 working day). The land
station's verification is four working days late: escalated to the office's leaders with a
yellow card. market.supervisor supervises market, police.supervisor police (one lead not
signed for in time); office.supervisor and office.leader oversee every unit.
"""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine.identity import SYSTEM, Actor
from engine.store.models import AuditEvent, HumanTask
from engine.store.supervision_models import Escalation, SupervisionMark
from notifications.models import Delivery
from tests import bpmn_builder as b
from tests.browser_support import browser, live_server, page, screenshot, sign_in  # noqa: F401
from tests.conftest import csrf_token, login

BEIJING = timezone(timedelta(hours=8))


def beijing(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=BEIJING).astimezone(timezone.utc)


def _runtime(client):
    return client.application.extensions["duban"]


def _market_tasks(session_factory):
    with session_factory() as s:
        return s.scalars(select(HumanTask).where(HumanTask.status == "open", HumanTask.candidate_groups == "market")
                         .order_by(HumanTask.id)).all()


@pytest.fixture
def overdue(client, clock, session_factory):
    """Market's two late tasks on the demo's Monday (the rectification first)."""
    late = [task.id for task in _market_tasks(session_factory) if task.overdue_since is not None]
    assert len(late) == 2
    return late


def _switch(client, username):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/supervise/")})
    return login(client, username)


def _escalation_rows(page):
    """(escalation id, task id, rung code) per row of the escalations inbox."""
    return [(int(e), int(t), r) for e, t, r in re.findall(
        r'<tr data-escalation-id="(\d+)" data-task-id="(\d+)" data-rung="(\w+)">', page.text)]


def _all_escalation_rows(client, path="/supervise/escalations"):
    """Every row of the inbox, page by page."""
    rows, page = [], 1
    while True:
        found = _escalation_rows(client.get(f"{path}{'&' if '?' in path else '?'}page={page}"))
        if not found:
            return rows
        rows += found
        page += 1


def _task_ids(page):
    return [int(i) for i in re.findall(r'<tr data-task-id="(\d+)"', page.text)]


def _flashes(page):
    return re.findall(r'<div class="alert alert-(\w+)" role="alert">([^<]*)</div>', page.text)


def _post(client, path, **data):
    data.setdefault("csrf_token", csrf_token(client, "/supervise/"))
    data.setdefault("next", "/supervise/escalations")
    return client.post(path, data=data, follow_redirects=True)


# -- who may open the pages --------------------------------------------------------

def test_officers_get_403_on_every_supervisor_page_and_action(client, overdue):
    login(client, "market.officer")
    for path in ("/supervise/", "/supervise/escalations", "/supervise/board", "/supervise/units/market"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client)
    response = client.post(f"/supervise/tasks/{overdue[0]}/remind", data={"csrf_token": token, "reason": "快"})
    assert response.status_code == 403


def test_signed_out_users_are_sent_to_sign_in(client):
    response = client.get("/supervise/board")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_overdue_task_reaches_its_units_supervisor_with_the_rung(client, overdue):
    login(client, "market.supervisor")
    before = client.get("/supervise/escalations")
    assert before.status_code == 200
    rows = _escalation_rows(before)
    assert sorted(task for _, task, _ in rows) == overdue
    assert {rung for _, _, rung in rows} == {"overdue"}
    assert "逾期" in before.text and "新塘市场监督管理所" in before.text
    assert "2026-02-28 18:00" in before.text          # the feedback's due date: the end of the working day
    assert "1个工作日" in before.text and "2个工作日" in before.text   # how late, in working days
    assert "已逾期1天" in before.text and "已逾期2天" in before.text   # the countdowns
    # the other units' late work (land, police) is not market.supervisor's business
    assert all(task in overdue for _, task, _ in rows)


def test_a_supervisor_of_another_unit_does_not_see_it(client, overdue):
    login(client, "police.supervisor")
    page = client.get("/supervise/escalations")
    rows = _escalation_rows(page)
    assert page.status_code == 200 and len(rows) == 1  # the police's own lead, not signed for in time
    assert not {task for _, task, _ in rows} & set(overdue)
    assert client.get("/supervise/units/market").status_code == 403
    assert "data-unit=\"market\"" not in client.get("/supervise/board").text
    token = csrf_token(client, "/supervise/")
    for action in ("remind", "extend", "reassign", "transfer", "supervise"):
        response = client.post(f"/supervise/tasks/{overdue[0]}/{action}", data={"csrf_token": token, "reason": "x"})
        assert response.status_code == 404, action


def test_leader_items_go_to_office_leaders_and_unit_items_to_the_office_supervisor(client, overdue,
                                                                                 session_factory):
    with session_factory() as s:  # open items (the demo's history also has resolved ones)
        leader_items = s.scalars(select(Escalation.id).where(Escalation.audience == "leaders",
                                                             Escalation.status == "open")).all()
        unit_items = s.scalars(select(Escalation.id).where(Escalation.audience == "supervisors",
                                                           Escalation.status == "open")).all()
    assert leader_items and unit_items  # the land station's late verification reached the leaders
    login(client, "office.supervisor")
    seen = [item for item, _, _ in _all_escalation_rows(client)]
    assert sorted(seen) == sorted(unit_items)
    _switch(client, "office.leader")
    seen = [item for item, _, _ in _all_escalation_rows(client)]
    assert sorted(seen) == sorted(unit_items + leader_items)
    page = client.get("/supervise/escalations?rung=leader")
    assert {rung for _, _, rung in _escalation_rows(page)} == {"leader"} and "专项办领导" in page.text
    assert _escalation_rows(client.get("/supervise/escalations?rung=accountability")) == []


# -- the actions ---------------------------------------------------------------------

def test_acknowledge_needs_a_note(client, overdue, session_factory):
    login(client, "market.supervisor")
    item_id = _escalation_rows(client.get("/supervise/escalations"))[0][0]
    page = _post(client, f"/supervise/escalations/{item_id}/acknowledge", reason="  ")
    assert ("danger", "请填写理由。") in _flashes(page)
    with session_factory() as s:
        assert s.get(Escalation, item_id).status == "open"
    page = _post(client, f"/supervise/escalations/{item_id}/acknowledge", reason="已电话督促单位负责人")
    assert ("success", "已确认该升级事项。") in _flashes(page)
    assert item_id not in [row[0] for row in _escalation_rows(page)]
    with session_factory() as s:
        item = s.get(Escalation, item_id)
        assert (item.status, item.acknowledged_by, item.note) == ("acknowledged", "market.supervisor",
                                                                  "已电话督促单位负责人")
    assert item_id in [row[0] for row in _escalation_rows(client.get("/supervise/escalations?status=acknowledged"))]
    page = _post(client, f"/supervise/escalations/{item_id}/acknowledge", reason="again")
    assert _flashes(page)[0][0] == "danger"  # already acknowledged: the escalator's message


def test_extend_the_deadline(client, overdue, session_factory):
    login(client, "market.supervisor")
    task_id = overdue[0]
    page = _post(client, f"/supervise/tasks/{task_id}/extend", due_date="2026-03-12", due_time="17:30")
    assert ("danger", "请填写理由。") in _flashes(page)
    page = _post(client, f"/supervise/tasks/{task_id}/extend", due_date="2026-03-01", due_time="09:00",
                 reason="银行流水尚未调取")
    assert ("danger", "新的办理期限必须晚于当前时间") in _flashes(page)
    page = _post(client, f"/supervise/tasks/{task_id}/extend", due_date="27/03", reason="银行流水尚未调取")
    assert _flashes(page)[0][0] == "danger"
    page = _post(client, f"/supervise/tasks/{task_id}/extend", due_date="2026-03-12", due_time="17:30",
                 reason="银行流水尚未调取")
    assert ("success", "办理期限已延长至2026-03-12 17:30。") in _flashes(page)
    with session_factory() as s:
        task = s.get(HumanTask, task_id)
        assert task.due_at == beijing(3, 12, 17, 30) and task.overdue_since is None
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "task.deadline_extended",
                                                   AuditEvent.task_id == task_id)).one()
        assert (event.actor, event.reason) == ("market.supervisor", "银行流水尚未调取")
    assert "剩8天" in client.get("/supervise/units/market").text


def test_reassign_to_a_user_of_the_unit(client, overdue, session_factory):
    login(client, "market.supervisor")
    task_id = overdue[0]
    page = _post(client, f"/supervise/tasks/{task_id}/reassign", assignee="market.officer")
    assert ("danger", "请填写理由。") in _flashes(page)
    page = _post(client, f"/supervise/tasks/{task_id}/reassign", assignee="police.officer", reason="熟悉情况")
    assert ("danger", "请选择该任务所属单位的人员。") in _flashes(page)
    page = _post(client, f"/supervise/tasks/{task_id}/reassign", assignee="market.officer", reason="熟悉情况")
    assert ("success", "任务已改派给王国栋（新塘市场监督管理所）。") in _flashes(page)
    with session_factory() as s:
        assert s.get(HumanTask, task_id).assignee == "market.officer"
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "task.reassigned")).one()
        assert (event.reason, event.data["to"]) == ("熟悉情况", "market.officer")
    workload = client.get("/supervise/units/market").text
    assert re.search(r'data-assignee="market.officer">.*?<td class="text-end held">1</td>', workload, re.S)


def test_transfer_to_another_unit(client, overdue, session_factory):
    login(client, "market.supervisor")
    task_id = overdue[0]
    page = _post(client, f"/supervise/tasks/{task_id}/transfer", unit="police")
    assert ("danger", "请填写理由。") in _flashes(page)
    page = _post(client, f"/supervise/tasks/{task_id}/transfer", unit="nowhere", reason="涉嫌犯罪")
    assert ("danger", "请选择转办的单位。") in _flashes(page)
    page = _post(client, f"/supervise/tasks/{task_id}/transfer", unit="police", reason="涉嫌犯罪，移送公安")
    assert ("success", "任务已转办至新塘派出所。") in _flashes(page)
    with session_factory() as s:
        task = s.get(HumanTask, task_id)
        assert (task.candidate_groups, task.assignee) == ("police", None)
        assert s.scalars(select(AuditEvent.reason).where(AuditEvent.action == "task.transferred")).one() \
            == "涉嫌犯罪，移送公安"
    assert task_id not in _task_ids(client.get("/supervise/units/market"))
    _switch(client, "police.supervisor")
    assert task_id in _task_ids(client.get("/supervise/units/police"))


def test_remind_the_holders(client, overdue, session_factory):
    login(client, "market.supervisor")
    task_id = overdue[0]
    page = _post(client, f"/supervise/tasks/{task_id}/remind")
    assert ("danger", "请填写理由。") in _flashes(page)
    page = _post(client, f"/supervise/tasks/{task_id}/remind", reason="请于今日下班前提交整改材料")
    assert ("success", "已向经办人发出催办。") in _flashes(page)
    with session_factory() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "task.reminded")).one()
        assert (event.task_id, event.actor, event.reason) == (task_id, "market.supervisor", "请于今日下班前提交整改材料")
        assert s.scalars(select(Delivery).where(Delivery.recipient == "market.officer",
                                                Delivery.kind == "task.reminder")).all()


def test_supervise_with_a_yellow_card_costs_five_points_and_cancelling_gives_them_back(client, overdue,
                                                                                       session_factory):
    runtime = _runtime(client)
    login(client, "market.supervisor")
    task_id = overdue[0]
    page = _post(client, f"/supervise/tasks/{task_id}/supervise", level="yellow")
    assert ("danger", "请填写理由。") in _flashes(page)
    page = _post(client, f"/supervise/tasks/{task_id}/supervise", level="orange", reason="群众反映强烈")
    assert ("danger", "请选择督办等级。") in _flashes(page)
    page = _post(client, f"/supervise/tasks/{task_id}/supervise", level="yellow", reason="群众反映强烈")
    assert ("success", "已启动督办：黄牌督办。") in _flashes(page)
    with session_factory() as s:
        assert s.get(HumanTask, task_id).supervision_level == "yellow"
        mark = s.scalars(select(SupervisionMark).where(SupervisionMark.task_id == task_id)).one()
        assert (mark.unit, mark.level, mark.reason, mark.raised_by) == ("market", "yellow", "群众反映强烈",
                                                                         "market.supervisor")
        assert runtime.escalator.unit_score(s, "market") == 95
    board = _board_row(client.get("/supervise/board"), "market")
    assert (board["score"], board["cards"]) == ("95", "1")
    assert _task_ids(client.get("/supervise/units/market?filter=cards")) == [task_id]

    page = _post(client, f"/supervise/marks/{mark.id}/cancel", reason=" ")
    assert ("danger", "请填写理由。") in _flashes(page)
    page = _post(client, f"/supervise/marks/{mark.id}/cancel", reason="已按期整改，撤销黄牌")
    assert ("success", "已撤销督办。") in _flashes(page)
    with session_factory() as s:
        mark = s.get(SupervisionMark, mark.id)
        assert (mark.cancelled_by, mark.cancel_reason) == ("market.supervisor", "已按期整改，撤销黄牌")
        assert s.get(HumanTask, task_id).supervision_level is None
        assert runtime.escalator.unit_score(s, "market") == 100
    board = _board_row(client.get("/supervise/board"), "market")
    assert (board["score"], board["cards"]) == ("100", "0")
    page = _post(client, f"/supervise/marks/{mark.id}/cancel", reason="again")
    assert ("danger", "该督办已撤销") in _flashes(page)


def test_another_units_mark_cannot_be_cancelled(client, overdue, session_factory):
    login(client, "market.supervisor")
    _post(client, f"/supervise/tasks/{overdue[0]}/supervise", level="red", reason="重大线索")
    with session_factory() as s:
        mark_id = s.scalars(select(SupervisionMark.id).where(SupervisionMark.task_id == overdue[0])).one()
    _switch(client, "police.supervisor")
    token = csrf_token(client, "/supervise/")
    response = client.post(f"/supervise/marks/{mark_id}/cancel", data={"csrf_token": token, "reason": "错"})
    assert response.status_code == 404


def test_forms_need_the_csrf_token(client, overdue, session_factory):
    login(client, "market.supervisor")
    response = client.post(f"/supervise/tasks/{overdue[0]}/remind", data={"reason": "请尽快办理"})
    assert response.status_code == 400
    with session_factory() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "task.reminded")).all() == []
    page = client.get(f"/supervise/tasks/{overdue[0]}").text
    forms = re.findall(r'<form method="post".*?</form>', page, re.S)
    assert len(forms) >= 6 and all('name="csrf_token"' in form for form in forms)


def test_the_handling_panel_of_a_task(client, overdue, session_factory):
    login(client, "market.supervisor")
    listing = client.get("/supervise/escalations").text
    assert f'hx-get="/supervise/tasks/{overdue[0]}?next=' in listing          # loaded when 处理 is opened
    panel = client.get(f"/supervise/tasks/{overdue[0]}?next=/supervise/escalations",
                       headers={"HX-Request": "true"}).text
    assert "<html" not in panel and 'value="/supervise/escalations"' in panel
    with session_factory() as s:
        [item] = s.scalars(select(Escalation.id).where(Escalation.task_id == overdue[0])).all()
    for action in (f"/supervise/escalations/{item}/acknowledge", f"/supervise/tasks/{overdue[0]}/remind",
                   f"/supervise/tasks/{overdue[0]}/extend", f"/supervise/tasks/{overdue[0]}/reassign",
                   f"/supervise/tasks/{overdue[0]}/transfer", f"/supervise/tasks/{overdue[0]}/supervise"):
        assert f'action="{action}"' in panel, action
    assert 'value="market.officer"' in panel and 'value="police.officer"' not in panel   # the unit's people
    assert '<option value="police">' in panel and '<option value="market">' not in panel  # other units
    page = client.get(f"/supervise/tasks/{overdue[0]}?next=https://evil.example/")
    assert page.status_code == 200 and "evil.example" not in page.text and "<html" in page.text
    _switch(client, "police.supervisor")
    assert client.get(f"/supervise/tasks/{overdue[0]}").status_code == 404


def test_actions_on_the_units_page_return_to_it(client, overdue):
    login(client, "market.supervisor")
    page = _post(client, f"/supervise/tasks/{overdue[1]}/remind", reason="请尽快办理",
                 next="/supervise/units/market?filter=overdue")
    assert "已向经办人发出催办。" in page.text and 'id="workload-table"' in page.text
    page = _post(client, f"/supervise/tasks/{overdue[1]}/remind", reason="请尽快办理", next="https://evil.example/")
    assert 'id="escalation-table"' in page.text


# -- the board -----------------------------------------------------------------------

FIGURES = ("open", "overdue", "oldest", "ontime", "late", "cards", "score")


def _board_row(page, unit):
    row = re.search(rf'<tr data-unit="{unit}">(.*?)</tr>', page.text, re.S).group(1)
    found = {}
    for name in FIGURES:
        match = re.search(rf'class="fig-{name}[^"]*" href="([^"]+)">\s*([^<]*?)\s*</a>', row, re.S)
        found[name] = match.group(2) if match else None
        found[f"{name}_link"] = match.group(1).replace("&amp;", "&") if match else None
    found["ontime_counts"] = re.search(r'<div class="small text-muted">(\d+/\d+)</div>', row).group(1)
    return found


@pytest.fixture
def court(client, clock, session_factory):
    """Tasks of the court (青阳法庭) with known due and completion times, beside the court's only demo
    work: its monthly returns (月报表), January's submitted in February and February's at the start of
    March, both on time (`R_jan`, `R_feb`).

    Created Monday 2 March 09:00; the page is read Thursday 12 March 10:00.
      A due Thu 5 Mar 09:00, completed Wed 4 Mar            on time
      B due Thu 5 Mar 09:00, completed Fri 6 Mar            late
      C due Thu 5 Mar 09:00, completed Thu 5 Mar 09:00      on time (at the due time)
      H no due time, completed Wed 4 Mar                    not in the on-time rate
      K due Mon 2 Feb, completed Tue 3 Feb                  late, before the last 30 days
      L assigned to court.officer only (no unit group), due Thu 5 Mar, completed Wed 4 Mar: on time
      M candidate groups police and court, due Thu 5 Mar, completed Fri 6 Mar: late, for both units
      D due Tue 10 Mar 09:00, open                          overdue (the oldest)
      E due Wed 11 Mar 09:00, open                          overdue
      F due Fri 20 Mar, open                                not yet due
      G no due time, open
      J assigned to court.officer only (no unit group), due Fri 20 Mar, open: the assignee's unit
    """
    engine = _runtime(client).engine
    engine.deploy(b.process("board_fixture", b.start(), b.user_task("work", "核查材料", groups="court", due="${due}"),
                            b.end(), *b.chain("start", "work", "end")))
    engine.deploy(b.process("board_personal", b.start(),
                            b.user_task("work", "个人承办", groups=None, assignee="court.officer", due="${due}"),
                            b.end(), *b.chain("start", "work", "end")))
    engine.deploy(b.process("board_shared", b.start(), b.user_task("work", "联合核查", groups="police,court",
                                                                     due="${due}"),
                            b.end(), *b.chain("start", "work", "end")))
    officer = Actor("court.officer", groups=frozenset({"court"}), roles=frozenset({"officer"}))

    def task_of(instance_id):
        with session_factory() as s:
            return s.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id)).one()

    def start(due, process="board_fixture"):
        return task_of(engine.start(process, {"due": due.isoformat() if due else ""}, SYSTEM))

    clock.set(beijing(1, 30))
    k = start(beijing(2, 2))
    clock.set(beijing(2, 3))
    engine.complete(k, officer, {})
    clock.set(beijing(3, 2))
    ids = {name: start(due) for name, due in (
        ("A", beijing(3, 5)), ("B", beijing(3, 5)), ("C", beijing(3, 5)), ("H", None), ("D", beijing(3, 10)),
        ("E", beijing(3, 11)), ("F", beijing(3, 20)), ("G", None))}
    ids["J"] = start(beijing(3, 20), "board_personal")
    ids["L"] = start(beijing(3, 5), "board_personal")
    ids["M"] = start(beijing(3, 5), "board_shared")
    ids["K"] = k
    for name, moment in (("A", beijing(3, 4)), ("H", beijing(3, 4)), ("L", beijing(3, 4)), ("C", beijing(3, 5)),
                         ("B", beijing(3, 6)), ("M", beijing(3, 6))):
        clock.set(moment)
        engine.complete(ids[name], officer, {})
    clock.set(beijing(3, 12, 10))
    with session_factory() as s:
        returns = [t for t in s.scalars(select(HumanTask).where(HumanTask.element_id == "submit_return")
                                        .order_by(HumanTask.completed_at)) if "court" in t.candidate_group_list]
    assert [(t.status, t.completed_at <= t.due_at) for t in returns] == [("completed", True)] * 2
    ids["R_jan"], ids["R_feb"] = (t.id for t in returns)
    return ids


def test_board_figures_match_the_fixture(client, court):
    login(client, "office.supervisor")
    page = client.get("/supervise/board")
    assert page.status_code == 200
    row = _board_row(page, "court")
    assert row["open"] == "5"                    # D E F G J
    assert row["overdue"] == "2"                 # D E
    assert row["oldest"] == "2个工作日"            # D: due Tue 10 Mar, now Thu 12 Mar
    # on time: A C L R_feb of A B C L M R_feb (H has no due time; K and R_jan are before the range)
    assert row["ontime"] == "66.7%" and row["ontime_counts"] == "4/6"
    assert row["late"] == "2"                    # B M
    assert (row["cards"], row["score"]) == ("0", "100")

    def listed(link):
        return _task_ids(client.get(link))

    assert sorted(listed(row["open_link"])) == sorted(court[n] for n in "DEFGJ")
    assert listed(row["overdue_link"]) == [court["D"], court["E"]]          # the oldest first
    assert sorted(listed(row["ontime_link"])) == sorted([court[n] for n in "ABCLM"] + [court["R_feb"]])
    assert sorted(listed(row["late_link"])) == sorted([court["B"], court["M"]])
    police = _board_row(page, "police")  # M is late for the police too (beside the demo's own work)
    assert court["M"] in listed(police["late_link"]) and court["M"] in listed(police["ontime_link"])

    unit_page = client.get("/supervise/units/court").text
    assert re.search(r'data-assignee="-">.*?held">4</td><td class="text-end late text-danger fw-bold">2</td>',
                     unit_page, re.S)
    assert re.search(r'data-assignee="court.officer">.*?held">1</td>', unit_page, re.S)
    assert _task_ids(client.get("/supervise/units/court?filter=open&assignee=court.officer")) == [court["J"]]


def test_on_time_rate_follows_the_date_range(client, court):
    login(client, "office.supervisor")

    def rate(first, last):
        row = _board_row(client.get(f"/supervise/board?from={first}&to={last}"), "court")
        return row["ontime"], row["ontime_counts"]

    assert rate("2026-03-05", "2026-03-05") == ("100.0%", "1/1")   # C, completed at its due time
    assert rate("2026-03-06", "2026-03-06") == ("0.0%", "0/2")     # B M
    assert rate("2026-02-01", "2026-03-12") == ("62.5%", "5/8")    # K (late) and both returns count too
    assert rate("2026-03-07", "2026-03-12") == ("—", "0/0")
    assert rate("2026-03-12", "2026-03-04") == ("60.0%", "3/5")    # reversed dates are swapped


def test_cards_and_score_on_the_board(client, court, session_factory):
    runtime = _runtime(client)
    login(client, "court.supervisor")
    _post(client, f"/supervise/tasks/{court['D']}/supervise", level="yellow", reason="逾期未报")
    _post(client, f"/supervise/tasks/{court['E']}/supervise", level="red", reason="重大线索")
    _post(client, f"/supervise/tasks/{court['F']}/supervise", level="ordinary", reason="跟踪")
    row = _board_row(client.get("/supervise/board"), "court")
    with session_factory() as s:
        assert row["score"] == str(runtime.escalator.unit_score(s, "court")) == "85"
    assert row["cards"] == "2"
    assert sorted(_task_ids(client.get(row["cards_link"]))) == sorted([court["D"], court["E"]])
    assert sorted(_task_ids(client.get(row["score_link"]))) == sorted([court["D"], court["E"], court["F"]])


def test_the_board_is_scoped_to_the_supervisors_units(client, court):
    login(client, "court.supervisor")
    units = re.findall(r'<tr data-unit="(\w+)">', client.get("/supervise/board").text)
    assert units == ["court"]
    _switch(client, "office.leader")
    units = re.findall(r'<tr data-unit="(\w+)">', client.get("/supervise/board").text)
    assert {"office", "market", "court", "police"} <= set(units)


def test_pages_in_english(client, overdue):
    login(client, "market.supervisor")
    client.get("/lang/en")
    assert "Overdue board" in client.get("/supervise/board").text
    page = client.get("/supervise/escalations")
    assert "Escalations" in page.text and "1 working days" in page.text and "升级事项" not in page.text


def test_the_dashboard_links_to_the_pages(client, overdue):
    login(client, "market.supervisor")
    page = client.get("/supervise/")
    assert page.status_code == 200
    assert "/supervise/escalations" in page.text and "/supervise/board" in page.text
    assert "/supervise/units/market" in page.text and "/supervise/units/police" not in page.text



# -- in a browser: the 处理 panel is loaded into the list and its forms work ------------------

def test_the_handling_panel_opens_in_the_list_and_sends_a_reminder(demo, clock, page):
    sign_in(page, "market.supervisor")
    page.goto("/supervise/escalations")
    row = page.locator("tr.actions-row").first
    row.locator("summary").click()
    form = row.locator("form[action$='/remind']")
    form.locator("textarea[name=reason]").fill("请于今日下班前提交整改材料")
    screenshot(page, "supervise-escalations")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/supervise/escalations")
    assert "已向经办人发出催办。" in page.locator(".alert-success").inner_text()
    page.goto("/supervise/board")
    assert page.locator("#board-table tr[data-unit='market'] .fig-overdue").inner_text() == "2"
    screenshot(page, "supervise-board")
