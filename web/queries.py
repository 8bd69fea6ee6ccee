"""Read-side queries for inboxes and counts, on the flat task tables only."""
from flask import g
from sqlalchemy import and_, func, or_, select, union_all

from engine.store.models import HumanTask, TaskCandidate
from web.extensions import db


def _mine(user):
    return select(HumanTask.id).where(HumanTask.assignee == user.username, HumanTask.status == "open")


def _by_candidate(user):
    groups = sorted(user.actor.groups)
    return select(TaskCandidate.task_id).where(
        or_(and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(groups)),
            and_(TaskCandidate.kind == "user", TaskCandidate.name == user.username)))


def candidate_ids(user):
    """Ids of tasks that name the user or one of their groups as candidates, plus tasks assigned
    to them: a union of two index lookups. Candidate rows exist only for open tasks (the
    engine drops them when a task closes), so this stays as small as the open work."""
    return union_all(_by_candidate(user), _mine(user))


def claimable(user):
    """Open to the user: assigned to them, or unassigned with them or their groups as candidates."""
    free_or_mine = or_(HumanTask.assignee.is_(None), HumanTask.assignee == user.username)
    if db.engine.dialect.name == "sqlite":
        # SQLite plans this far better with the task filters inside the candidate branch
        # (2 ms against 25 ms at 100,000 tasks); PostgreSQL prefers them outside (8 ms against 15 ms).
        inner = (_by_candidate(user).join(HumanTask, HumanTask.id == TaskCandidate.task_id)
                 .where(HumanTask.status == "open", free_or_mine))
        return HumanTask.id.in_(union_all(inner, _mine(user)))
    return and_(HumanTask.id.in_(candidate_ids(user)), HumanTask.status == "open", free_or_mine)


def todo_query(user):
    return select(HumanTask).where(claimable(user))


def todo_count(session, user) -> int:
    """Counted once per request (the navigation and the inbox both show it)."""
    if "todo_count" not in g:
        g.todo_count = session.scalar(select(func.count()).select_from(HumanTask).where(claimable(user)))
    return g.todo_count
