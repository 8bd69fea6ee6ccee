"""Read-side queries for inboxes and counts, on the flat task tables only."""
from sqlalchemy import and_, exists, func, or_, select

from engine.store.models import HumanTask, TaskCandidate


def claimable_by(user):
    """Open to the user: assigned to them, or unassigned with them or their groups as candidates."""
    groups = sorted(user.actor.groups)
    candidate = exists().where(
        TaskCandidate.task_id == HumanTask.id,
        or_(and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(groups)),
            and_(TaskCandidate.kind == "user", TaskCandidate.name == user.username)))
    return or_(HumanTask.assignee == user.username, and_(HumanTask.assignee.is_(None), candidate))


def todo_query(user):
    return select(HumanTask).where(HumanTask.status == "open", claimable_by(user))


def todo_count(session, user) -> int:
    return session.scalar(select(func.count()).select_from(todo_query(user).subquery()))
