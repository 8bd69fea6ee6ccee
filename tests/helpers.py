"""Small helpers shared by engine tests."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engine.identity import Actor
from engine.store.models import HumanTask

OFFICER = Actor("li.officer", groups=frozenset({"office", "market"}), roles=frozenset({"officer"}))
OTHER_OFFICER = Actor("wang.police", groups=frozenset({"police"}), roles=frozenset({"officer"}))
SUPERVISOR = Actor("zhao.lead", groups=frozenset({"office"}), roles=frozenset({"supervisor"}))


def open_tasks(session_factory, instance_id=None):
    with session_factory() as s:
        query = (select(HumanTask).where(HumanTask.status == "open").order_by(HumanTask.id)
                 .options(selectinload(HumanTask.candidates)))
        if instance_id is not None:
            query = query.where(HumanTask.instance_id == instance_id)
        return s.scalars(query).all()


def complete_open_tasks(engine, session_factory, instance_id, actor=OFFICER, data=None, rounds=50):
    """Complete whatever is open until the instance waits on nothing human."""
    for _ in range(rounds):
        tasks = open_tasks(session_factory, instance_id)
        if not tasks:
            return
        for task in tasks:
            engine.complete(task.id, actor, data or {})
    raise AssertionError("instance did not finish")
