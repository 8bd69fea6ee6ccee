"""Who holds, supervises and leads: what the escalation ladder asks of the campaign's records,
and how a task's case, unit and process read in its notifications (domain.wording)."""
from sqlalchemy import or_, select

from domain import wording
from domain.models import Unit, User, UserRole, WorkingGroup, supervisor_unit, working_group_member
from engine.store.models import HumanTask

LOCALES = ("zh", "en")


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
        in_working_group = (select(working_group_member.c.user_id)
                            .join(WorkingGroup, WorkingGroup.id == working_group_member.c.group_id)
                            .where(WorkingGroup.code.in_(groups), WorkingGroup.active.is_(True)))
        members = session.scalars(
            select(User.username).outerjoin(Unit, User.unit_id == Unit.id).outerjoin(UserRole)
            .where(User.active.is_(True), or_(Unit.code.in_(groups), UserRole.role.in_(groups),
                                              User.username.in_(users), User.id.in_(in_working_group)))
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

    # -- wording for notifications: {zh, en} pairs, rendered in each recipient's language --------

    def describe_task(self, session, task: HumanTask) -> dict:
        """What a notification about the task names: its case ("XS-2026-000021 新塘康泰养生会馆"),
        the unit handling it and the special office, in both languages."""
        unit = self.unit_of_task(session, task)
        cases = {locale: wording.case_labels(session, [task.instance_id], locale).get(task.instance_id, "")
                 for locale in LOCALES}
        office = session.scalar(select(Unit).where(Unit.kind == "office", Unit.active.is_(True)).order_by(Unit.id)
                                .limit(1))
        about = {locale: (cases[locale] or task.name) for locale in LOCALES}
        return {
            "case": about,
            "subject": about,
            "unit_name": {locale: wording.unit_name(session, unit, locale) for locale in LOCALES},
            "office_name": ({locale: office.name(locale) for locale in LOCALES} if office is not None
                            else {"zh": "专项办", "en": "the special office"}),
        }

    def escalation_reason(self, session, task: HumanTask, rung: str) -> dict:
        """Why the task climbed `rung` (升级原因)."""
        return wording.both(wording.rung_reason, rung)
