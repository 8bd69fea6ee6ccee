"""Reliability under load and faults (issue 8), over real HTTP against a served app.

- 50 concurrent clients (half on the pages with their own signed-in session and CSRF
  token, half on the JSON API with their own token) claim and complete the same task
  and different tasks of shared cases: each task is completed exactly once, no update
  is lost, and every refused request is told why (never a 500, never a silent success).
- The database goes away during load (PostgreSQL): requests fail cleanly with a 503 and
  a message, and the same app serves again once the database is back.
- A web process killed with SIGKILL inside a task completion's transaction (every write
  done, COMMIT not yet) leaves none of the command's writes behind, and another process
  completes the task; killed just after the COMMIT, all of them are there, once, and the
  resent form is refused with the reason.
"""
import collections
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from domain.api_tokens import create_token
from domain.models import Lead, SupervisionCase, Unit, User
from engine.identity import SYSTEM
from engine.store.base import Base
from engine.store.models import AuditEvent, HumanTask, ProcessInstance
from tests import bpmn_builder as b
from tests.browser_support import LiveServer
from tests.conftest import DEMO_PASSWORD
from tests.reliability_support import ApiClient, Load, Outage, PageClient, all_at_once, restart_allowed, wait_for

CLIENTS = 50
# conftest.py runs the tests on PostgreSQL when DATABASE_URL names one.
postgres_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="PostgreSQL only: SQLite is a file inside the app's own process, there is no database server to lose")


# -- the served app and its clients ------------------------------------------------------------

@pytest.fixture
def served(demo):
    """The demo app on a local port (threaded), answering errors as in production."""
    demo.config["TESTING"] = False  # no exception propagation: what a user gets is what we test
    requests_log = logging.getLogger("werkzeug")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)  # one access-log line per request is just noise here
    try:
        with LiveServer(demo) as server:
            yield server
    finally:
        requests_log.setLevel(level)


def add_officers(app, count, unit="office"):
    """`count` officers of `unit`; returns their usernames and API tokens (all scopes)."""
    from web.extensions import db
    hash_password = app.config["DUBAN_HASH_PASSWORD"]
    names, secrets = [], {}
    with app.app_context():
        home = db.session.scalar(select(Unit).where(Unit.code == unit))
        password_hash = hash_password(DEMO_PASSWORD)
        for n in range(count):
            user = User(username=f"{unit}.c{n:02d}", display_name=f"办事员{n:02d}", password_hash=password_hash,
                        unit=home, locale="zh", active=True)
            user.set_roles(["officer"])
            db.session.add(user)
            names.append(user.username)
        db.session.flush()
        for name in names:
            secrets[name] = create_token(db.session, name, "tasks:read,tasks:write", "test")[1]
        db.session.commit()
    return names, secrets


def signed_in(served, app, count):
    """`count` new officers of the office, signed in: even ones on the pages, odd ones on the API."""
    names, secrets = add_officers(app, count)
    made = [PageClient(served.url, name, DEMO_PASSWORD) if n % 2 == 0 else ApiClient(served.url, name, secrets[name])
            for n, name in enumerate(names)]
    return [client.sign_in() for client in made]


@pytest.fixture
def clients(served, demo):
    return signed_in(served, demo, CLIENTS)


def deploy_and_start(app, bpmn: bytes, process_id: str, count: int) -> list[int]:
    from web import engine_of
    engine = engine_of(app)
    engine.deploy(bpmn, f"{process_id}.bpmn")
    return [engine.start(process_id, {}, SYSTEM) for _ in range(count)]


def tasks_of(session_factory, instance_ids, element_id=None) -> list[HumanTask]:
    with session_factory() as s:
        query = select(HumanTask).where(HumanTask.instance_id.in_(instance_ids)).order_by(HumanTask.id)
        if element_id:
            query = query.where(HumanTask.element_id == element_id)
        return s.scalars(query).all()


def versions(session_factory, instance_ids) -> dict[int, int]:
    with session_factory() as s:
        return dict(s.execute(select(ProcessInstance.id, ProcessInstance.lock_version)
                              .where(ProcessInstance.id.in_(instance_ids))).all())


def events(session_factory, action, task_ids) -> collections.Counter:
    with session_factory() as s:
        return collections.Counter(s.scalars(select(AuditEvent.task_id).where(
            AuditEvent.action == action, AuditEvent.task_id.in_(task_ids))).all())


def assert_told_why(answers):
    """Each request either did what was asked or was refused with a reason: no 5xx (not even a 503),
    no missing answer, no refusal without a reason, no success page that says nothing."""
    broken = [str(a) for a in answers if a.kind not in ("won", "refused")]
    assert not broken, "\n".join(broken)
    for answer in answers:
        if answer.kind == "refused":
            assert answer.message.strip(), answer
            if answer.via == "api":
                assert answer.status in (403, 409), answer


def winners(answers):
    return [a for a in answers if a.kind == "won"]


def assert_reason_is(answer, *phrases):
    assert any(phrase in answer.message for phrase in phrases), answer


def display_name(username):
    return f"办事员{username[-2:]}"  # as add_officers names them


def already_completed_by(who):
    """How a request on a task `who` already completed is refused: the API (English) and the pages."""
    return (f"is completed (by {who})", f"已完成（办理人：{who}）", f"已完成（办理人：{display_name(who)}）")


# -- (a) 50 concurrent clients -----------------------------------------------------------------

SINGLE = b.process("rel_single", b.start(), b.user_task("review", groups="office"),
                   b.user_task("confirm", groups="office"), b.end(), *b.chain("start", "review", "confirm", "end"))


def test_fifty_clients_race_for_the_same_task_and_exactly_one_wins(demo, clients, session_factory):
    raced, claimed = deploy_and_start(demo, SINGLE, "rel_single", 2)
    [first] = tasks_of(session_factory, [raced])
    [second] = tasks_of(session_factory, [claimed])
    before = versions(session_factory, [raced, claimed])

    # All at once: complete the same unclaimed task.
    completions = all_at_once(clients, lambda client: client.complete(first.id))
    # All at once: claim the same task, then try to complete it.
    claims_and_completions = all_at_once(clients, lambda client: (client.claim(second.id),
                                                                  client.complete(second.id)))
    claims = [pair[0] for pair in claims_and_completions]
    seconds = [pair[1] for pair in claims_and_completions]
    everything = completions + claims + seconds
    assert_told_why(everything)
    print(collections.Counter((a.action, a.kind, a.via, a.status) for a in everything))

    [won_first] = winners(completions)
    [won_claim] = winners(claims)
    [won_second] = winners(seconds)
    assert won_second.who == won_claim.who, "only the one who claimed the task may complete it"
    # Each refusal says why: who handled or claimed the task, or that the case changed meanwhile.
    for answer in completions:
        if answer.kind == "refused":
            assert_reason_is(answer, won_first.who, display_name(won_first.who), "someone else changed this case",
                             "他人同时修改了此案件")
    for answer in claims:
        if answer.kind == "refused":  # a late claim may find the task already completed by the winner
            assert_reason_is(answer, f"claimed by {won_claim.who}", "claimed by someone else",  # API (English)
                             f"已被 {won_claim.who} 签收", "已被他人签收",  # pages (Chinese)
                             *already_completed_by(won_claim.who))
    for answer in seconds:
        if answer.kind == "refused":
            assert_reason_is(answer, f"it is with {won_claim.who}", "该任务不在您的办理范围内", won_claim.who,
                             display_name(won_claim.who), "someone else changed this case", "他人同时修改了此案件")

    # The database agrees with what the clients were told.
    done = {t.id: t for t in tasks_of(session_factory, [raced, claimed], "review")}
    assert done[first.id].status == "completed" and done[first.id].completed_by == won_first.who
    assert done[second.id].status == "completed" and done[second.id].completed_by == won_claim.who
    assert events(session_factory, "task.completed", [first.id, second.id]) == {first.id: 1, second.id: 1}
    assert events(session_factory, "task.claimed", [first.id, second.id]) == {second.id: 1}
    # Each case moved on exactly once: one completion's worth of version, one next task.
    after = versions(session_factory, [raced, claimed])
    assert {i: after[i] - before[i] for i in after} == {raced: 1, claimed: 1}
    for instance_id in (raced, claimed):
        [confirm] = tasks_of(session_factory, [instance_id], "confirm")
        assert confirm.status == "open"


def test_a_late_claim_is_told_the_task_is_already_completed(app, session_factory):
    """What the race above accepts from a claim that comes after the winner's completion is what
    the pages and the API say (checked here without a race)."""
    from tests import unit_world
    from tests.conftest import csrf_token, login
    world = unit_world.build(app, session_factory, cases=1)
    [task_id] = world.tasks
    client = app.test_client()
    login(client, "market.officer")
    token = csrf_token(client)
    api = {"headers": {"X-CSRFToken": token}}
    assert client.post(f"/api/v1/tasks/{task_id}/claim", **api).status_code == 200
    assert client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}, **api).status_code == 200
    late_api = client.post(f"/api/v1/tasks/{task_id}/claim", **api)
    late_page = client.post(f"/inbox/{task_id}/claim", data={"csrf_token": token}, follow_redirects=True)
    assert late_api.status_code == 409
    for message in (late_api.get_json()["message"], late_page.text):
        assert any(phrase in message for phrase in already_completed_by("market.officer")), message


BRANCHES = 5
PARALLEL = b.process(
    "rel_parallel", b.start(), b.gateway("split", "parallelGateway"),
    *[b.user_task(f"b{k}", groups="office") for k in range(BRANCHES)],
    b.gateway("join", "parallelGateway"), b.user_task("final", groups="office"), b.end(),
    *[f for k in range(BRANCHES) for f in (b.flow("split", f"b{k}"), b.flow(f"b{k}", "join"))],
    *b.chain("start", "split"), *b.chain("join", "final", "end"))


def _claim_then_complete(task_of, attempts=40):
    """What an officer does: claim their task, complete it, and on "someone else changed this
    case at the same time" try again (reloading the task first on the page)."""

    def work(client):
        task_id = task_of[client.username]
        answers = [client.claim(task_id)]
        for _ in range(attempts):
            answer = client.complete(task_id, {f"done_by_{client.username.replace('.', '_')}": True}
                                     if client.via == "api" else None)
            answers.append(answer)
            if answer.kind != "refused":
                break
        return answers
    return work


def test_fifty_clients_on_different_tasks_of_shared_cases_lose_no_update(demo, clients, session_factory):
    cases = deploy_and_start(demo, PARALLEL, "rel_parallel", CLIENTS // BRANCHES)
    branch_tasks = [t for t in tasks_of(session_factory, cases) if t.status == "open"]
    assert len(branch_tasks) == CLIENTS
    # Client n takes task n: the five officers of one case work on it at the same moment.
    by_case = collections.defaultdict(list)
    for task in branch_tasks:
        by_case[task.instance_id].append(task)
    interleaved = [by_case[case][k] for k in range(BRANCHES) for case in cases]
    task_of = {client.username: task.id for client, task in zip(clients, interleaved)}
    before = versions(session_factory, cases)

    results = all_at_once(clients, _claim_then_complete(task_of))
    everything = [answer for answers in results for answer in answers]
    assert_told_why(everything)
    print(collections.Counter((a.action, a.kind, a.via, a.status) for a in everything))

    # Different tasks: every claim wins, every officer completes their own task in the end;
    # the only refusals are "the case changed at the same time", and those are retried.
    assert all(answers[0].kind == "won" for answers in results), [str(a[0]) for a in results]
    assert all(answers[-1].kind == "won" for answers in results), [str(a[-1]) for a in results]
    for answer in everything:
        if answer.kind == "refused":
            assert answer.action == "complete", answer
            assert_reason_is(answer, "someone else changed this case at the same time", "他人同时修改了此案件")
    assert len(winners(everything)) == 2 * CLIENTS

    ids = [t.id for t in branch_tasks]
    assert events(session_factory, "task.completed", ids) == {i: 1 for i in ids}
    assert events(session_factory, "task.claimed", ids) == {i: 1 for i in ids}
    rows = {t.id: t for t in tasks_of(session_factory, cases)}
    owner = {task_id: name for name, task_id in task_of.items()}
    for task_id in ids:
        assert rows[task_id].status == "completed" and rows[task_id].completed_by == owner[task_id]
    # Each case: five completions, the join passed once, one final task, nothing lost in the state.
    after = versions(session_factory, cases)
    assert {i: after[i] - before[i] for i in cases} == {i: BRANCHES for i in cases}
    from web import engine_of
    from SpiffWorkflow.util.task import TaskState
    engine = engine_of(demo)
    for case in cases:
        [final] = tasks_of(session_factory, [case], "final")
        assert final.status == "open"
        with session_factory() as s:
            _, workflow = engine.load_workflow(s, case)
        states = {t.task_spec.name: t.state for t in workflow.get_tasks()
                  if t.task_spec.name in {f"b{k}" for k in range(BRANCHES)}}
        assert set(states.values()) == {TaskState.COMPLETED}, states
        [ready] = [t for t in workflow.get_tasks(state=TaskState.READY)]
        assert ready.task_spec.name == "final"
        # The API clients' form values all reached the case's data: no completion overwrote another's.
        expected = {f"done_by_{owner[t.id].replace('.', '_')}" for t in by_case[case]
                    if clients[[c.username for c in clients].index(owner[t.id])].via == "api"}
        assert expected <= set(ready.data), (expected, sorted(ready.data))


# -- (b) the database goes away during load ----------------------------------------------------

UNAVAILABLE_ZH = "数据库暂时无法连接"


@postgres_only
@pytest.mark.parametrize("mode", ["terminated", pytest.param("restarted", marks=pytest.mark.skipif(
    restart_allowed() is not None, reason=str(restart_allowed())))])
def test_requests_fail_cleanly_while_the_database_is_away_and_the_same_app_recovers(
        mode, demo, served, database_url, db_engine, session_factory):
    clients = signed_in(served, demo, 8)
    page_client, api_client = clients[0], clients[1]
    cases = deploy_and_start(demo, SINGLE, "rel_single", 2)
    page_task, api_task = tasks_of(session_factory, cases)

    outage = Outage(database_url, mode)
    with Load(clients) as load:
        wait_for(lambda: load.every_client_saw("before", "ok"), "every client to be served")
        load.phase = "outage"
        outage.begin()
        try:
            wait_for(lambda: load.every_client_saw("outage", times=3), "every client to get answers during the outage")
            # A user who submits a task now is told so too, and nothing is written.
            during = [page_client.complete(page_task.id), api_client.complete(api_task.id)]
        finally:
            outage.end()
            db_engine.dispose()  # the test's own pooled connections went down with the database
        load.phase = "after"
        # The same app, not restarted, serves every client again.
        wait_for(lambda: load.every_client_saw("after", "ok"), "every client to be served again")

    print(collections.Counter((look.phase, look.via, look.kind, look.status) for look in load.looks))
    broken = [str(look) for look in load.looks if look.kind == "broken"]
    assert not broken, "\n".join(broken[:10])
    assert load.every_client_saw("outage", "unavailable"), "every client was told the database is away"
    for look in load.looks:
        if look.kind == "unavailable" and look.via == "page":
            assert UNAVAILABLE_ZH in look.body, look
    assert [answer.kind for answer in during] == ["unavailable", "unavailable"], [str(a) for a in during]
    assert UNAVAILABLE_ZH in during[0].message and "database" in during[1].message, [str(a) for a in during]

    # Nothing was written by the refused submissions; now they go through, once each.
    assert [t.status for t in tasks_of(session_factory, cases, "review")] == ["open", "open"]
    assert page_client.complete(page_task.id).kind == "won"
    assert api_client.complete(api_task.id).kind == "won"
    assert events(session_factory, "task.completed", [page_task.id, api_task.id]) == {page_task.id: 1, api_task.id: 1}


# -- (c) a web process killed inside a command's transaction -------------------------------------

ROOT = Path(__file__).resolve().parents[1]
ACCEPT = {"accept_decision": "accept", "handler": "陈志明", "handler_phone": "13905950001"}


class ServerProcess:
    """`python -m tests.reliability_server`: the app served by a process of its own."""

    def __init__(self, tmp_path, database_url, clock, field_key, pause="none"):
        name = uuid.uuid4().hex[:8]
        self.port_file, self.pause_file = tmp_path / f"port-{name}", tmp_path / f"paused-{name}"
        self.log = tmp_path / f"server-{name}.log"
        env = {**os.environ, "DUBAN_FIELD_KEY": field_key, "DUBAN_SCHEDULER": "0",
               "DUBAN_INSTANCE_PATH": str(tmp_path / "instance")}
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability_server", "--database-url", database_url,
                 "--port-file", str(self.port_file), "--now", clock.now().isoformat(),
                 "--upload-dir", str(tmp_path / "uploads"), "--pause", pause, "--pause-file", str(self.pause_file)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.port_file.exists() or self.process.poll() is not None, "the server process to start")
        assert self.port_file.exists(), self.output()
        self.url = f"http://127.0.0.1:{self.port_file.read_text()}"

    def output(self) -> str:
        return self.log.read_text()[-3000:]

    def kill(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(60)


def snapshot(session_factory) -> dict:
    """Every row of every table (API tokens aside: using one records when it was used)."""
    with session_factory() as s:
        return {table.name: sorted(repr(tuple(row)) for row in s.execute(table.select()))
                for table in Base.metadata.sorted_tables if table.name != "api_token"}


def dispatched_major_lead(app, session_factory) -> HumanTask:
    """A demo lead triaged as major and dispatched to the market station; its accept task."""
    from web import engine_of
    from web.extensions import db
    [triage] = tasks_of_element(session_factory, "triage_lead")[:1]
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.username == "office.officer")).to_actor()
    engine_of(app).complete(triage.id, officer, {
        "triage_decision": "dispatch", "responsible_unit": "market", "feedback_workdays": 15, "major": True,
        "major_reason": "涉及老年人众多，金额较大", "triage_opinion": "分流市场监管所核查"})
    [accept] = [t for t in tasks_of(session_factory, [triage.instance_id], "accept_lead") if t.status == "open"]
    return accept


def tasks_of_element(session_factory, element_id) -> list[HumanTask]:
    with session_factory() as s:
        return s.scalars(select(HumanTask).where(HumanTask.element_id == element_id, HumanTask.status == "open")
                         .order_by(HumanTask.id)).all()


def assert_accepted_once(session_factory, accept, version_before):
    """Everything accepting the major lead writes, each exactly once."""
    with session_factory() as s:
        task = s.get(HumanTask, accept.id)
        assert (task.status, task.completed_by) == ("completed", "market.officer")
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.task_id == accept.id, AuditEvent.action == "task.completed")) == 1
        lead = s.scalar(select(Lead).where(Lead.instance_id == accept.instance_id))
        assert lead.status == "verifying"
        updates = s.scalars(select(AuditEvent.data).where(AuditEvent.action == "lead.updated",
                                                         AuditEvent.instance_id == accept.instance_id)).all()
        assert [u["fields"].get("status") for u in updates].count("verifying") == 1, updates
        [case] = s.scalars(select(SupervisionCase).where(SupervisionCase.kind == "lead",
                                                         SupervisionCase.target_id == lead.id)).all()
        supervision = s.get(ProcessInstance, case.instance_id)
        assert supervision.status == "running"
        assert s.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.instance_id == supervision.id, HumanTask.status == "open")) >= 1
        assert [t.element_id for t in s.scalars(select(HumanTask).where(
            HumanTask.instance_id == accept.instance_id, HumanTask.status == "open"))] == ["verify_lead"]
        assert s.get(ProcessInstance, accept.instance_id).lock_version == version_before + 1


def _post_in_background(url, secret, body):
    """Send the request from another thread; returns (thread, result) where result gets the response or error."""
    result = {}

    def send():
        try:
            result["response"] = requests.post(url, json=body, headers={"Authorization": f"Bearer {secret}"},
                                               timeout=300)
        except requests.RequestException as err:
            result["error"] = err
    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, result


@pytest.mark.parametrize("moment", ["before-commit", "after-commit"])
def test_a_web_process_killed_inside_a_task_completion_leaves_all_of_it_or_none(
        moment, demo, database_url, session_factory, clock, field_key, tmp_path):
    # Accepting a major lead is one command with many writes: the accept task's row and its
    # audit event, the lead's status (update_lead, with its own audit event), a supervision
    # case with a number and a process instance of its own (tasks, escalation steps), the next
    # task of the lead's case, the case's state and version.
    accept = dispatched_major_lead(demo, session_factory)
    version_before = versions(session_factory, [accept.instance_id])[accept.instance_id]
    from web.extensions import db
    with demo.app_context():
        secret = create_token(db.session, "market.officer", "tasks:read,tasks:write", "test")[1]
        db.session.commit()
    before = snapshot(session_factory)
    path = f"/api/v1/tasks/{accept.id}/complete"

    victim = ServerProcess(tmp_path, database_url, clock, field_key, pause=moment)
    try:
        sender, sent = _post_in_background(victim.url + path, secret, {"data": ACCEPT})
        wait_for(lambda: victim.pause_file.exists() or victim.process.poll() is not None,
                 "the server to reach the moment of the kill")
        assert victim.pause_file.exists(), victim.output()
        written = {write.split()[1] for write in json.loads(victim.pause_file.read_text())["writes"]}
    finally:
        victim.kill()
    # It was killed with the whole command written to the database (not yet committed, or just committed).
    assert {"human_task", "audit_event", "process_instance", "lead", "supervision_case"} <= written, written
    sender.join(300)
    # The officer's request got no answer: the process died under it.
    assert "error" in sent and "response" not in sent, sent

    if moment == "before-commit":
        assert snapshot(session_factory) == before, "none of the killed command's writes may remain"
    else:
        assert_accepted_once(session_factory, accept, version_before)
        after_kill = snapshot(session_factory)

    # Another process takes over: the officer sends the form again.
    survivor = ServerProcess(tmp_path, database_url, clock, field_key)
    try:
        response = requests.post(survivor.url + path, json={"data": ACCEPT},
                                 headers={"Authorization": f"Bearer {secret}"}, timeout=300)
    finally:
        survivor.kill()
    if moment == "before-commit":
        assert response.status_code == 200, (response.text, survivor.output())
        assert response.json()["instance_status"] == "running"
    else:  # it was done: the retry is refused with the reason, and writes nothing again
        assert response.status_code == 409, (response.text, survivor.output())
        assert "completed" in response.json()["message"]
        assert snapshot(session_factory) == after_kill
    assert_accepted_once(session_factory, accept, version_before)
