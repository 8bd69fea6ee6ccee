"""Who holds, supervises and leads: what the escalation ladder asks of the campaign's records."""
from sqlalchemy import or_, select

from domain.models import Unit, User, UserRole, supervisor_unit
from engine.store.models import HumanTask


def _unit_codes(session) -> set[str]:
    return set(session.scalars(select(Unit.code)))


class CampaignDirectory:
    def unit_of_task(self, session, task: HumanTask) -> str | None:
        """The responsible unit: the first candidate group that is a unit, else the assignee's unit."""
        codes = _unit_codes(session)
        for group in task.candidate_group_list:
            if group in codes:
                return group
        if task.assignee:
            user = session.scalar(select(User).where(User.username == task.assignee))
            if user is not None and user.unit is not None:
                return user.unit.code
        return None

    def holders(self, session, task: HumanTask) -> list[str]:
        """Whoever may act on the task now: its assignee, else its candidate users and groups' members."""
        if task.assignee:
            return [task.assignee]
        groups, users = task.candidate_group_list, task.candidate_user_list
        members = session.scalars(
            select(User.username).outerjoin(Unit, User.unit_id == Unit.id).outerjoin(UserRole)
            .where(User.active.is_(True), or_(Unit.code.in_(groups), UserRole.role.in_(groups),
                                              User.username.in_(users)))
        ).all()
        return sorted(set(members))

    def supervisors_of(self, session, unit: str | None) -> list[str]:
        """Supervisors who supervise the unit, or who are supervisors in it (unit heads)."""
        if unit is None:
            return []
        supervising = select(supervisor_unit.c.user_id).join(Unit, Unit.id == supervisor_unit.c.unit_id).where(
            Unit.code == unit)
        rows = session.scalars(
            select(User.username).join(UserRole).outerjoin(Unit, User.unit_id == Unit.id)
            .where(User.active.is_(True), UserRole.role == "supervisor",
                   or_(User.id.in_(supervising), Unit.code == unit))
        ).all()
        return sorted(set(rows))

    def office_leaders(self, session) -> list[str]:
        return sorted(set(session.scalars(select(User.username).join(UserRole).where(
            User.active.is_(True), UserRole.role == "office_leader"))))
