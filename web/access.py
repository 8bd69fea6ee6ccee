"""Who may see and do what: officers their unit's work, supervisors the units they
supervise, the special office and administrators everything."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from domain.models import User
from domain.reporters import can_view_reporter

ALL_UNITS = None  # sentinel: no unit restriction


class CurrentUser:
    """The signed-in user as Flask-Login and the views need them."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User):
        self.user = user
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name
        self.locale = user.locale
        self.roles = user.roles
        self.unit_code = user.unit.code if user.unit else None
        self.unit_name = user.unit.name_zh if user.unit else ""
        self.supervised_units = frozenset(u.code for u in user.supervised_units)
        self.actor = user.to_actor()

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, *roles) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_supervisor(self) -> bool:
        return self.has_role("supervisor", "office_leader", "administrator")

    @property
    def sees_everything(self) -> bool:
        """The special office's leaders and staff, and administrators, oversee all units."""
        return self.has_role("office_leader", "administrator") or self.unit_code == "office"

    def visible_units(self):
        """Unit codes whose tasks and cases this user may see, or ALL_UNITS."""
        if self.sees_everything:
            return ALL_UNITS
        units = {self.unit_code} if self.unit_code else set()
        if self.has_role("supervisor"):
            units |= self.supervised_units
        return frozenset(units)

    def can_see_unit(self, unit_code: str | None) -> bool:
        visible = self.visible_units()
        return visible is ALL_UNITS or unit_code in visible

    def can_see_task(self, task) -> bool:
        """A task is visible to whoever may act on it and to those who oversee its units."""
        if task.assignee == self.username or self.username in task.candidate_user_list:
            return True
        if set(task.candidate_group_list) & self.actor.groups:
            return True
        visible = self.visible_units()
        return visible is ALL_UNITS or bool(set(task.candidate_group_list) & visible)

    @property
    def may_see_reporters(self) -> bool:
        return can_view_reporter(self.actor)


def local_target(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default`: never a redirect to another site,
    whether written //host, /\\host or with characters browsers drop (tabs, newlines)."""
    target = target or ""
    if (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target)):
        return target
    return default


def roles_required(*roles):
    """Allow the view only to users with one of `roles` (403 otherwise)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate
