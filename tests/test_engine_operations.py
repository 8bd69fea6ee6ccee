"""Task operations (engine.operations): drafts, 委派, 加签, 抄送, 催办, 转办, 退回, 拿回, 撤销,
comments and attachments — permissions, reasons, audit and conflicts."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.errors import ConflictError, InvalidOperation, NotFound, PermissionDenied, TaskNotReady
from engine.escalation import Escalator
from engine.identity import Actor
from engine.operations import TaskOperations
from engine.store.models import (
    Attachment,
    AuditEvent,
    HumanTask,
    ProcessInstance,
    TaskCopy,
    TaskCosigner,
    Timer,
)
from tests import bpmn_builder as b
from tests.helpers import OFFICER, OTHER_OFFICER, SUPERVISOR, meet_after_first_calls, open_tasks, run_together

# market officers, an office registrar, and a market supervisor
LI = Actor("li.market", groups=frozenset({"market"}), roles=frozenset({"officer"}))
CHEN = Actor("chen.market", groups=frozenset({"market"}), roles=frozenset({"officer"}))
WANG = Actor("wang.office", groups=frozenset({"office"}), roles=frozenset({"officer"}))
ZHOU = Actor("zhou.market", groups=frozenset({"market"}), roles=frozenset({"supervisor"}))
POLICE = OTHER_OFFICER
KNOWN = {"li.market", "chen.market", "wang.office", "zhou.market", "wang.police", "li.officer", "zhao.lead"}


class Told:
    """Stands in for the notifications package: records who was told what."""

    def __init__(self):
        self.calls = []

    def __call__(self, session, key, kind, usernames, context, link=None):
        self.calls.append((kind, tuple(usernames), link))


@pytest.fixture
def told():
    return Told()


@pytest.fixture
def ops(engine, told):
    return TaskOperations(engine, Escalator(engine, notify=told), user_exists=lambda s, name: name in KNOWN)


def rows(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)).all()


def events(session_factory, instance_id, *actions_):
    with session_factory() as s:
        query = select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
        if actions_:
            query = query.where(AuditEvent.action.in_(actions_))
        return s.scalars(query).all()


def task_of(session_factory, task_id):
    with session_factory() as s:
        return s.get(HumanTask, task_id)


def three_steps(engine, groups=("office", "market", "market")):
    """register (office) -> verify (market) -> review (market)."""
    xml = b.process("three", b.start(), b.user_task("register", "登记", groups=groups[0]),
                    b.user_task("verify", "核实", groups=groups[1]), b.user_task("review", "审核", groups=groups[2]),
                    b.end(), *b.chain("start", "register", "verify", "review", "end"))
    engine.deploy(xml)
    return engine.start("three", {"lead_no": "XS-1"}, WANG)


def only_open(session_factory, instance_id):
    [task] = open_tasks(session_factory, instance_id)
    return task


# -- drafts --------------------------------------------------------------------

def test_a_draft_is_saved_without_completing_and_claims_the_task(ops, engine, session_factory):
    instance_id = three_steps(engine)
    task = only_open(session_factory, instance_id)
    ops.save_draft(task.id, WANG, {"note": "半成品", "amount": "12x"})
    saved = task_of(session_factory, task.id)
    assert saved.status == "open" and saved.draft == {"note": "半成品", "amount": "12x"}
    assert saved.assignee == "wang.office" and saved.draft_by == "wang.office" and saved.draft_at is not None
    with pytest.raises(PermissionDenied):
        ops.save_draft(task.id, POLICE, {"note": "x"})
    assert [e.action for e in events(session_factory, instance_id)][-2:] == ["task.claimed", "task.draft_saved"]
    engine.complete(task.id, WANG, {"note": "done"})
    with pytest.raises(TaskNotReady):
        ops.save_draft(task.id, WANG, {"note": "late"})


# -- delegate (委派) -------------------------------------------------------------

def test_delegation_comes_back_to_the_delegator_who_then_completes(ops, engine, session_factory, told):
    instance_id = three_steps(engine)
    engine.complete(only_open(session_factory, instance_id).id, WANG, {})
    task = only_open(session_factory, instance_id)  # verify, market
    with pytest.raises(InvalidOperation, match="reason"):
        ops.delegate(task.id, LI, "chen.market", "  ")
    with pytest.raises(PermissionDenied):
        ops.delegate(task.id, POLICE, "chen.market", "not mine")
    with pytest.raises(NotFound):
        ops.delegate(task.id, LI, "nobody.at.all", "help")
    ops.delegate(task.id, LI, "wang.police", "需要公安协助核实")
    row = task_of(session_factory, task.id)
    assert (row.owner, row.assignee, row.delegation_state) == ("li.market", "wang.police", "pending")
    assert told.calls[-1] == ("task.assigned", ("wang.police",), f"/tasks/{task.id}")
    with pytest.raises(InvalidOperation, match="already delegated"):
        ops.delegate(task.id, LI, "chen.market", "again")
    # Neither the owner nor the delegate can complete the BPMN task while it is delegated.
    with pytest.raises(PermissionDenied):
        engine.complete(task.id, LI, {})
    with pytest.raises(InvalidOperation, match="delegated"):
        engine.complete(task.id, POLICE, {"finding": "x"})
    with pytest.raises(PermissionDenied):
        ops.resolve(task.id, CHEN, {"finding": "x"})
    with pytest.raises(InvalidOperation, match="delegated"):
        ops.send_back(task.id, POLICE, "not the delegate's call")
    # The delegate's "complete" hands the task back with their values as a draft.
    assert ops.complete(task.id, POLICE, {"finding": "已核实", "people": 3}) == "resolved"
    row = task_of(session_factory, task.id)
    assert row.status == "open" and row.assignee == "li.market" and row.delegation_state == "resolved"
    assert row.draft == {"finding": "已核实", "people": 3} and row.draft_by == "wang.police"
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["verify"]
    # The delegator completes for real.
    assert ops.complete(task.id, LI, {**row.draft, "checked": True}) == "completed"
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["review"]
    assert [e.action for e in events(session_factory, instance_id, "task.delegated", "task.delegation_resolved",
                                     "task.completed")] == ["task.completed", "task.delegated",
                                                            "task.delegation_resolved", "task.completed"]
    [delegated] = events(session_factory, instance_id, "task.delegated")
    assert delegated.reason == "需要公安协助核实" and delegated.data == {"owner": "li.market", "delegate": "wang.police"}


def test_a_supervisor_transfer_ends_a_pending_delegation(ops, engine, session_factory):
    instance_id = three_steps(engine)
    task = only_open(session_factory, instance_id)
    ops.delegate(task.id, WANG, "li.market", "help")
    with pytest.raises(PermissionDenied):
        ops.transfer(task.id, WANG, "mine", to_user="chen.market")
    ops.transfer(task.id, SUPERVISOR, "李休假", to_user="chen.market")
    row = task_of(session_factory, task.id)
    assert (row.assignee, row.owner, row.delegation_state, row.candidate_users) == (
        "chen.market", None, None, "chen.market")
    engine.complete(task.id, CHEN, {})
    [event] = events(session_factory, instance_id, "task.transferred")
    assert event.reason == "李休假" and event.actor == "zhao.lead"


# -- co-handlers (加签) -----------------------------------------------------------

def test_co_handlers_must_sign_before_the_task_can_be_completed(ops, engine, session_factory, told):
    instance_id = three_steps(engine)
    task = only_open(session_factory, instance_id)
    engine.claim(task.id, WANG)
    with pytest.raises(PermissionDenied):
        ops.add_cosigner(task.id, LI, "chen.market", "not theirs")
    ops.add_cosigner(task.id, WANG, "li.market", "请市场监管所会签")
    ops.add_cosigner(task.id, SUPERVISOR, "wang.police", "涉嫌犯罪，请派出所会签")  # a supervisor may add one too
    with pytest.raises(InvalidOperation, match="already"):
        ops.add_cosigner(task.id, WANG, "li.market", "twice")
    with pytest.raises(InvalidOperation, match="own co-handler"):
        ops.add_cosigner(task.id, WANG, "wang.office", "me")
    assert ("task.assigned", ("li.market",), f"/tasks/{task.id}") in told.calls
    with pytest.raises(InvalidOperation, match="co-handlers to sign: li.market, wang.police"):
        engine.complete(task.id, WANG, {})
    with pytest.raises(PermissionDenied):
        ops.sign(task.id, CHEN, "同意")
    with pytest.raises(InvalidOperation, match="reason"):
        ops.sign(task.id, LI, "")
    ops.sign(task.id, LI, "同意，已核对营业执照")
    with pytest.raises(InvalidOperation, match="wang.police"):
        engine.complete(task.id, WANG, {})
    ops.sign(task.id, POLICE, "同意")
    with pytest.raises(PermissionDenied):
        ops.sign(task.id, POLICE, "again")
    engine.complete(task.id, WANG, {})
    with session_factory() as s:
        signed = s.scalars(select(TaskCosigner).where(TaskCosigner.task_id == task.id)
                           .order_by(TaskCosigner.id)).all()
    assert [(c.username, c.status, c.opinion) for c in signed] == [
        ("li.market", "signed", "同意，已核对营业执照"), ("wang.police", "signed", "同意")]
    assert [e.action for e in events(session_factory, instance_id, "task.cosigner_added", "task.cosigned")] == [
        "task.cosigner_added", "task.cosigner_added", "task.cosigned", "task.cosigned"]


# -- CC (抄送) and remind (催办) ---------------------------------------------------

def test_cc_creates_copies_for_the_recipients(ops, engine, session_factory):
    instance_id = three_steps(engine)
    task = only_open(session_factory, instance_id)
    with pytest.raises(PermissionDenied):
        ops.copy(task.id, POLICE, ["li.market"], "fyi")
    with pytest.raises(InvalidOperation, match="reason"):
        ops.copy(task.id, WANG, ["li.market"], "")
    with pytest.raises(NotFound):
        ops.copy(task.id, WANG, ["ghost"], "fyi")
    ids = ops.copy(task.id, WANG, ["li.market", "zhou.market", "li.market"], "请知悉")
    assert len(ids) == 2
    with session_factory() as s:
        copies = s.scalars(select(TaskCopy).where(TaskCopy.task_id == task.id).order_by(TaskCopy.id)).all()
    assert [(c.recipient, c.sent_by, c.note) for c in copies] == [
        ("li.market", "wang.office", "请知悉"), ("zhou.market", "wang.office", "请知悉")]
    [event] = events(session_factory, instance_id, "task.copied")
    assert event.data == {"recipients": ["li.market", "zhou.market"]} and event.reason == "请知悉"


def test_reminders_are_for_supervisors(ops, engine, session_factory, told):
    instance_id = three_steps(engine)
    task = only_open(session_factory, instance_id)
    with pytest.raises(PermissionDenied):
        ops.remind(task.id, WANG, "快点")
    with pytest.raises(InvalidOperation, match="reason"):
        ops.remind(task.id, ZHOU, " ")
    ops.remind(task.id, ZHOU, "请于今日反馈")
    [event] = events(session_factory, instance_id, "task.reminded")
    assert event.reason == "请于今日反馈" and event.actor == "zhou.market"


# -- send back (退回) --------------------------------------------------------------

def test_send_back_reopens_the_previous_step_for_its_handler_with_their_values(ops, engine, session_factory, told):
    instance_id = three_steps(engine)
    engine.complete(only_open(session_factory, instance_id).id, WANG, {"registered": "yes"})
    verify = only_open(session_factory, instance_id)
    engine.claim(verify.id, LI)
    engine.complete(verify.id, LI, {"finding": "属实", "people": 4})
    review = only_open(session_factory, instance_id)
    with pytest.raises(InvalidOperation, match="reason"):
        ops.send_back(review.id, CHEN, "")
    with pytest.raises(PermissionDenied):
        ops.send_back(review.id, POLICE, "not mine")
    new_id = ops.send_back(review.id, CHEN, "核查情况不清，请补充证据")
    all_rows = rows(session_factory, instance_id)
    assert [(t.element_id, t.status) for t in all_rows] == [
        ("register", "completed"), ("verify", "completed"), ("review", "cancelled"), ("verify", "open")]
    reopened = all_rows[-1]
    assert reopened.id == new_id and reopened.assignee == "li.market"
    assert reopened.draft == {"finding": "属实", "people": 4}
    assert reopened.spiff_task_id != all_rows[1].spiff_task_id
    assert ("task.assigned", ("li.market",), f"/tasks/{new_id}") in told.calls
    [event] = events(session_factory, instance_id, "task.sent_back")
    assert event.task_id == review.id and event.reason == "核查情况不清，请补充证据" and event.actor == "chen.market"
    assert event.data["element_id"] == "verify" and event.data["new_task_id"] == new_id
    # The case runs on from the re-opened step.
    engine.complete(new_id, LI, {"finding": "属实，已补充"})
    review2 = only_open(session_factory, instance_id)
    assert review2.element_id == "review"
    engine.complete(review2.id, CHEN, {})
    with session_factory() as s:
        instance = s.get(ProcessInstance, instance_id)
        assert instance.status == "completed" and "已补充" in instance.state_json


def test_send_back_to_the_registering_step_and_not_past_the_first(ops, engine, session_factory):
    instance_id = three_steps(engine)
    first = only_open(session_factory, instance_id)
    with pytest.raises(InvalidOperation, match="first step"):
        ops.send_back(first.id, WANG, "nothing before")
    engine.complete(first.id, WANG, {"registered": "yes"})
    engine.complete(only_open(session_factory, instance_id).id, LI, {})
    review = only_open(session_factory, instance_id)
    with pytest.raises(InvalidOperation):
        ops.send_back(review.id, CHEN, "x", to="somewhere")
    new_id = ops.send_back(review.id, ZHOU, "不属于本专项，退回专项办", to="first")  # a supervisor of the unit
    reopened = task_of(session_factory, new_id)
    assert (reopened.element_id, reopened.assignee, reopened.candidate_groups) == ("register", "wang.office", "office")
    assert reopened.draft == {"registered": "yes"}
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["register"]


def test_send_back_closes_parallel_branches_and_their_timers(ops, engine, session_factory):
    xml = b.process("par", b.start(), b.user_task("dispatch", groups="office"), b.gateway("split", "parallelGateway"),
                    b.user_task("police_check", groups="police"), b.user_task("market_check", groups="market"),
                    b.boundary_timer("market_late", "market_check", "P5D", interrupting=False),
                    b.user_task("chase", groups="office"),
                    b.gateway("join", "parallelGateway"), b.user_task("review"), b.end(), b.end("end2"),
                    *b.chain("start", "dispatch", "split"), b.flow("split", "police_check"),
                    b.flow("split", "market_check"), b.flow("police_check", "join"), b.flow("market_check", "join"),
                    b.flow("market_late", "chase"), b.flow("chase", "end2"), *b.chain("join", "review", "end"))
    engine.deploy(xml)
    instance_id = engine.start("par")
    engine.complete(only_open(session_factory, instance_id).id, WANG, {"units": 2})
    tasks = {t.element_id: t for t in open_tasks(session_factory, instance_id)}
    with session_factory() as s:
        assert s.scalars(select(Timer.status).where(Timer.instance_id == instance_id)).all() == ["waiting"]
    new_id = ops.send_back(tasks["police_check"].id, POLICE, "不属于公安职责")
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["dispatch"]
    assert task_of(session_factory, tasks["market_check"].id).status == "cancelled"
    with session_factory() as s:
        assert s.scalars(select(Timer.status).where(Timer.instance_id == instance_id)).all() == ["cancelled"]
    [cancelled] = events(session_factory, instance_id, "task.cancelled")
    assert cancelled.task_id == tasks["market_check"].id and cancelled.reason == "不属于公安职责"
    # Dispatch again: both branches and the timer come back.
    engine.complete(new_id, WANG, {"units": 2})
    assert sorted(t.element_id for t in open_tasks(session_factory, instance_id)) == ["market_check", "police_check"]
    with session_factory() as s:
        assert sorted(s.scalars(select(Timer.status).where(Timer.instance_id == instance_id)).all()) == [
            "cancelled", "waiting"]


def test_send_back_to_a_step_with_a_boundary_timer_rearms_it(ops, engine, session_factory, clock):
    xml = b.process("timed", b.start(), b.user_task("verify", groups="market"),
                    b.boundary_timer("late", "verify", "P3D", interrupting=False), b.user_task("chase"),
                    b.user_task("review", groups="office"), b.end(), b.end("end2"),
                    *b.chain("start", "verify", "review", "end"), b.flow("late", "chase"), b.flow("chase", "end2"))
    engine.deploy(xml)
    instance_id = engine.start("timed")
    engine.complete(only_open(session_factory, instance_id).id, LI, {"finding": "a"})
    clock.advance(days=1)
    review = only_open(session_factory, instance_id)
    new_id = ops.send_back(review.id, WANG, "补充材料")
    assert task_of(session_factory, new_id).element_id == "verify"
    with session_factory() as s:
        waiting = s.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.status == "waiting")).all()
    assert [t.element_id for t in waiting] == ["late"] and waiting[0].due_at == clock.now() + timedelta(days=3)
    clock.advance(days=4)
    assert engine.fire_due_timers() == 1
    assert sorted(t.element_id for t in open_tasks(session_factory, instance_id)) == ["chase", "verify"]


# -- take back (拿回) --------------------------------------------------------------

def test_the_sender_takes_back_a_task_the_next_handler_has_not_started(ops, engine, session_factory):
    instance_id = three_steps(engine)
    register = only_open(session_factory, instance_id)
    engine.complete(register.id, WANG, {"registered": "yes", "summary": "原内容"})
    verify = only_open(session_factory, instance_id)
    with pytest.raises(PermissionDenied, match="completed"):
        ops.take_back(register.id, LI, "not mine")
    with pytest.raises(PermissionDenied):
        ops.take_back(verify.id, WANG, "open task")
    with pytest.raises(InvalidOperation, match="reason"):
        ops.take_back(register.id, WANG, "")
    new_id = ops.take_back(register.id, WANG, "登记信息有误，拿回修改")
    assert [(t.element_id, t.status) for t in rows(session_factory, instance_id)] == [
        ("register", "completed"), ("verify", "cancelled"), ("register", "open")]
    reopened = task_of(session_factory, new_id)
    assert reopened.assignee == "wang.office" and reopened.draft == {"registered": "yes", "summary": "原内容"}
    [event] = events(session_factory, instance_id, "task.taken_back")
    assert event.task_id == new_id and event.data == {"from_task_id": register.id}
    # The old completed row cannot be taken back twice.
    with pytest.raises(InvalidOperation):
        ops.take_back(register.id, WANG, "again")
    engine.complete(new_id, WANG, {"registered": "yes", "summary": "已更正"})
    assert only_open(session_factory, instance_id).element_id == "verify"


@pytest.mark.parametrize("started", ["claim", "draft", "delegate", "cosigner"])
def test_no_take_back_once_the_next_handler_has_started(ops, engine, session_factory, started):
    instance_id = three_steps(engine)
    register = only_open(session_factory, instance_id)
    engine.complete(register.id, WANG, {})
    verify = only_open(session_factory, instance_id)
    {"claim": lambda: engine.claim(verify.id, LI),
     "draft": lambda: ops.save_draft(verify.id, LI, {"finding": "正在核实"}),
     "delegate": lambda: ops.delegate(verify.id, LI, "chen.market", "帮忙"),
     "cosigner": lambda: ops.add_cosigner(verify.id, ZHOU, "li.market", "会签")}[started]()
    with pytest.raises(ConflictError, match="already been started"):
        ops.take_back(register.id, WANG, "too late")
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["verify"]


def test_no_take_back_once_the_next_step_is_completed(ops, engine, session_factory):
    instance_id = three_steps(engine)
    register = only_open(session_factory, instance_id)
    engine.complete(register.id, WANG, {})
    engine.complete(only_open(session_factory, instance_id).id, LI, {})
    with pytest.raises(ConflictError, match="already been completed"):
        ops.take_back(register.id, WANG, "too late")
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["review"]
    with session_factory() as s:
        assert ops.can_take_back(s, s.get(HumanTask, register.id), WANG) is False


def test_take_back_racing_a_claim_one_wins(ops, engine, session_factory):
    instance_id = three_steps(engine)
    register = only_open(session_factory, instance_id)
    engine.complete(register.id, WANG, {})
    verify = only_open(session_factory, instance_id)
    barrier = threading.Barrier(2)
    original = TaskOperations.started

    def synchronised(session, task):
        result = original(session, task)
        barrier.wait(timeout=10)  # the claim runs while take-back has decided "untouched"
        barrier.wait(timeout=10)
        return result

    outcome = {}

    def take():
        try:
            outcome["take"] = ops.take_back(register.id, WANG, "拿回")
        except ConflictError as err:
            outcome["take"] = err

    ops.started = staticmethod(synchronised)
    thread = threading.Thread(target=take)
    thread.start()
    barrier.wait(timeout=10)
    engine.claim(verify.id, LI)
    barrier.wait(timeout=10)
    thread.join(30)
    assert isinstance(outcome["take"], ConflictError)
    row = task_of(session_factory, verify.id)
    assert row.status == "open" and row.assignee == "li.market"
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["verify"]


# -- withdraw (撤销) ---------------------------------------------------------------

def test_the_registering_office_withdraws_the_case(ops, engine, session_factory):
    instance_id = three_steps(engine)
    engine.complete(only_open(session_factory, instance_id).id, WANG, {})
    verify = only_open(session_factory, instance_id)
    with pytest.raises(PermissionDenied):
        ops.withdraw(instance_id, LI, "market may not")
    with pytest.raises(InvalidOperation, match="reason"):
        ops.withdraw(instance_id, WANG, "")
    seen = []
    ops.withdraw(instance_id, OFFICER, "重复登记，撤销", on_withdrawn=lambda s, i: seen.append(i.id))
    assert seen == [instance_id]
    with session_factory() as s:
        instance = s.get(ProcessInstance, instance_id)
        assert instance.status == "cancelled" and instance.ended_at is not None
    assert task_of(session_factory, verify.id).status == "cancelled"
    [event] = events(session_factory, instance_id, "instance.withdrawn")
    assert event.reason == "重复登记，撤销" and event.actor == "li.officer"
    with pytest.raises(InvalidOperation, match="already cancelled"):
        ops.withdraw(instance_id, WANG, "again")
    with pytest.raises(TaskNotReady):
        engine.complete(verify.id, LI, {})


# -- comments, attachments, conflicts ---------------------------------------------

def test_comments_and_attachments_are_recorded_on_the_case(ops, engine, session_factory):
    instance_id = three_steps(engine)
    task = only_open(session_factory, instance_id)
    with pytest.raises(InvalidOperation):
        ops.comment(instance_id, WANG, "   ")
    with pytest.raises(InvalidOperation, match="too long"):
        ops.comment(instance_id, WANG, "长" * 5000)
    ops.comment(instance_id, WANG, "已电话联系举报人", task_id=task.id)
    attachment_id = ops.add_attachment(instance_id, WANG, filename="合同.pdf", storage_name="abc123",
                                       content_type="application/pdf", size=1234, sha256="0" * 64, task_id=task.id)
    [comment] = events(session_factory, instance_id, "comment.added")
    assert comment.data == {"text": "已电话联系举报人"} and comment.task_id == task.id
    with session_factory() as s:
        row = s.get(Attachment, attachment_id)
        assert (row.filename, row.uploaded_by, row.instance_id, row.task_id) == ("合同.pdf", "wang.office",
                                                                                 instance_id, task.id)
    with pytest.raises(NotFound):
        ops.comment(999999, WANG, "x")


def test_a_delegation_racing_a_completion_one_wins(ops, engine, session_factory):
    instance_id = three_steps(engine)
    task = only_open(session_factory, instance_id)
    engine.claim(task.id, WANG)
    meet_after_first_calls(engine, "_task_and_cosigners")  # both have read the task and the case's version
    # A completion that lost tries again and then finds the task delegated (to someone else).
    results = run_together(lambda: engine.complete(task.id, WANG, {}),
                           lambda: ops.delegate(task.id, WANG, "li.market", "帮忙"),
                           expected=(ConflictError, InvalidOperation, PermissionDenied))
    outcomes = list(zip(("complete", "delegate"), results))
    assert sorted(result == "ok" for _, result in outcomes) == [False, True]
    row = task_of(session_factory, task.id)
    if dict(outcomes)["complete"] == "ok":
        assert row.status == "completed" and row.delegation_state is None
    else:
        assert row.status == "open" and row.delegation_state == "pending"
