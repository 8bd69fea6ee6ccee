"""The cross-unit rule for 委派, 加签 and 抄送 (domain.recipients, docs/access-rules.md): a unit
officer hands work only to people of their own unit; the special office, office leaders and
administrators to anyone; a supervisor to their unit and the units they supervise. The task
page offers only those people, a request naming anyone else is refused with 403 naming the
field, and a recipient from another unit sees that task (and its case file), nothing else."""
import html
import re

import pytest
from sqlalchemy import func, select

from domain.models import User
from domain.recipients import ANY_UNIT, may_hand_to, recipient_units_of
from engine.store.models import AuditEvent, HumanTask, TaskCopy, TaskCosigner
from tests import unit_world
from tests.conftest import csrf_token, login


@pytest.fixture
def world(app, session_factory):
    return unit_world.build(app, session_factory)


@pytest.fixture
def client(world):
    return world.app.test_client()


def post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


def offered(page: str, operation: str) -> set[str]:
    """The people a picker of the task page offers (option values of the operation's form)."""
    block = re.search(rf'<details class="mb-2 op" id="op-{operation}">(.*?)</details>', page, re.S)
    assert block, f"no {operation} operation on the page"
    return set(re.findall(r'<option value="([^"]+)">', block.group(1)))


def alerts(page: str) -> str:
    return " ".join(html.unescape(m) for m in re.findall(r'<div class="alert[^"]*" role="alert">(.*?)</div>', page,
                                                         re.S))


def display_name(session_factory, username):
    with session_factory() as session:
        return session.scalar(select(User.display_name).where(User.username == username))


# -- the rule -----------------------------------------------------------------------------------

def test_who_may_hand_work_to_whom(world, session_factory):
    with session_factory() as session:
        assert recipient_units_of(session, "market.officer") == {"market"}
        assert recipient_units_of(session, "community_tangshi.officer") == {"community_tangshi"}
        assert recipient_units_of(session, "market.supervisor") == {"market"}  # the unit they supervise
        for overseer in ("office.officer", "office.supervisor", "office.leader", "admin"):
            assert recipient_units_of(session, overseer) is ANY_UNIT, overseer
        users = {u.username: u.to_actor() for u in session.scalars(select(User))}
        assert may_hand_to(session, users["market.officer"], "market.supervisor")
        assert not may_hand_to(session, users["market.officer"], "police.officer")
        assert not may_hand_to(session, users["market.supervisor"], "police.supervisor")
        assert may_hand_to(session, users["office.officer"], "police.officer")


# -- the pickers ------------------------------------------------------------------------------------

def test_a_unit_officer_is_offered_only_people_of_their_own_unit(client, world):
    login(client, "market.officer")
    page = client.get(f"/tasks/{world.tasks[0]}").text
    for operation in ("delegate", "cosigner", "cc"):
        people = offered(page, operation)
        assert people == {"market.supervisor"}, operation
    assert "只能选择本单位人员" in page
    client.get("/lang/en")
    assert "Only people of your unit can be chosen" in client.get(f"/tasks/{world.tasks[0]}").text


def test_the_special_office_is_offered_every_unit(client, world):
    login(client, "office.supervisor")
    page = client.get(f"/tasks/{world.tasks[0]}").text
    for operation in ("cosigner", "cc", "transfer"):
        assert {"police.officer", "market.officer", "community_shatang.supervisor"} <= offered(page, operation)
    assert "只能选择本单位人员" not in page


# -- bypassing the pickers ---------------------------------------------------------------------------

@pytest.mark.parametrize("operation, path, data, field", [
    ("delegate", "delegate", {"to_user": "police.officer"}, "委派给"),
    ("co-handler", "cosigners", {"username": "police.officer"}, "加签人"),
    ("CC", "cc", {"recipients": ["market.supervisor", "police.officer"]}, "抄送人"),
])
def test_a_unit_officer_naming_someone_of_another_unit_is_refused_with_403(client, world, session_factory,
                                                                            operation, path, data, field):
    login(client, "market.officer")
    task_id = world.tasks[0]
    response = post(client, f"/tasks/{task_id}/{path}", {**data, "reason": "请协助核查"})
    assert response.status_code == 403, operation
    said = alerts(response.text)
    assert f"{field}：{display_name(session_factory, 'police.officer')}" in said and "不是本单位人员" in said
    assert "police.officer" not in said  # people by name and unit, never by username
    with session_factory() as session:
        task = session.get(HumanTask, task_id)
        assert (task.assignee, task.owner, task.delegation_state) == (None, None, None)
        for model in (TaskCopy, TaskCosigner):
            assert session.scalar(select(func.count()).select_from(model)) == 0
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.task_id == task_id)).all() == [
            "task.created"]


def test_a_unit_supervisor_reaches_only_the_units_they_supervise(client, world, session_factory):
    login(client, "market.supervisor")
    response = post(client, f"/tasks/{world.tasks[0]}/cc", {"recipients": "police.officer", "reason": "请知悉"})
    assert response.status_code == 403 and "抄送人：" in alerts(response.text)
    response = post(client, f"/tasks/{world.tasks[0]}/cosigners", {"username": "market.officer", "reason": "请会签"})
    assert response.status_code == 302
    with session_factory() as session:
        assert session.scalars(select(TaskCosigner.username)).all() == ["market.officer"]


def test_a_unit_officer_delegates_within_the_unit(client, world, session_factory):
    login(client, "market.officer")
    response = post(client, f"/tasks/{world.tasks[0]}/delegate", {"to_user": "market.supervisor",
                                                                  "reason": "请所长代为核查"})
    assert response.status_code == 302
    with session_factory() as session:
        task = session.get(HumanTask, world.tasks[0])
        assert (task.owner, task.assignee, task.delegation_state) == ("market.officer", "market.supervisor", "pending")


# -- what a recipient of another unit sees ------------------------------------------------------------

def test_a_recipient_of_another_unit_sees_that_task_and_nothing_else_of_the_unit(client, world, session_factory):
    copied, other = world.tasks
    login(client, "office.supervisor")
    response = post(client, f"/tasks/{copied}/cc", {"recipients": "police.officer", "reason": "请派出所知悉"})
    assert response.status_code == 302
    with session_factory() as session:
        assert session.scalars(select(TaskCopy.recipient)).all() == ["police.officer"]
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "police.officer")
    assert "核实线索" in client.get("/inbox/cc").text
    page = client.get(f"/tasks/{copied}")
    assert page.status_code == 200 and "线索核查" in page.text and 'id="btn-complete"' not in page.text
    assert client.get(f"/tasks/{other}").status_code == 404  # the unit's other case does not exist for them
    assert f"/tasks/{other}" not in client.get("/inbox/").text
    assert client.get(f"/api/v1/tasks/{other}").status_code == 404
