"""The cross-unit rule: whom a user may CC (抄送), add as co-handler (加签) or delegate (委派) a task to.

As in the campaign's 督办 practice, a unit's officers work within their unit, while the special
office (专项办) and the supervisors coordinate across units:

- members of the special office, office leaders and administrators may choose anyone;
- a supervisor may choose people of their own unit and of the units they supervise;
- everyone else (a unit's officers) only people of their own unit.

A recipient from another unit sees that task and its case file, nothing else of that unit
(docs/access-rules.md). Transfer (转办) is a supervisor's act of its own and not limited here.
"""
from sqlalchemy import select

from domain.models import User

ANY_UNIT = None  # no limit
OVERSEEING_ROLES = frozenset({"office_leader", "administrator"})


def recipient_units(user: User | None) -> frozenset[str] | None:
    """The unit codes whose people `user` may hand a task to, or ANY_UNIT."""
    if user is None:
        return frozenset()
    if user.roles & OVERSEEING_ROLES or (user.unit is not None and user.unit.kind == "office"):
        return ANY_UNIT
    units = {user.unit.code} if user.unit is not None else set()
    if "supervisor" in user.roles:
        units |= {unit.code for unit in user.supervised_units}
    return frozenset(units)


def _user(session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def recipient_units_of(session, username: str) -> frozenset[str] | None:
    return recipient_units(_user(session, username))


def may_hand_to(session, actor, username: str) -> bool:
    """Whether `actor` (an engine Actor) may CC, add as co-handler or delegate to `username`."""
    units = recipient_units_of(session, actor.username)
    if units is ANY_UNIT:
        return True
    recipient = _user(session, username)
    return recipient is not None and recipient.unit is not None and recipient.unit.code in units
