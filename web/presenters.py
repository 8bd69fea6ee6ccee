"""How times, deadlines and levels look on a page (template filters and helpers)."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from domain.labels import label
from engine import clock
from engine.escalation import remaining_workdays
from web.i18n import short_locale

BEIJING = ZoneInfo("Asia/Shanghai")
DUE_SOON = timedelta(days=2)


def localtime(moment, fmt="%Y-%m-%d %H:%M"):
    return "" if moment is None else moment.astimezone(BEIJING).strftime(fmt)


def countdown(task) -> dict | None:
    """剩N天 in working days, or how far past due; None without a due time."""
    if task.due_at is None or task.status != "open":
        return None
    from web import runtime_of
    days = remaining_workdays(task.due_at, clock.now(), runtime_of(current_app).engine.calendar())
    late = task.due_at <= clock.now()
    text = _("%(n)s days overdue", n=abs(days) if days else 0) if late else _("%(n)s days left", n=days)
    return {"days": days, "late": late, "text": text}


def badges(task) -> list[tuple[str, str]]:
    """(css class, text) for the inbox: overdue, due soon, escalated, supervision level."""
    now = clock.now()
    found = []
    if task.status == "open" and task.due_at is not None:
        if task.due_at <= now:
            found.append(("badge-overdue", _("Overdue")))
        elif task.due_at - now <= DUE_SOON:
            found.append(("badge-due-soon", _("Due soon")))
    if task.escalation_rung:
        found.append(("badge-escalated", _("Escalated")))
    if task.supervision_level:
        found.append((f"badge-level-{task.supervision_level}", level_name(task.supervision_level)))
    return found


def level_name(level: str | None) -> str:
    return {"ordinary": _("Supervised"), "yellow": _("Yellow card"), "red": _("Red card")}.get(level or "", "")


def group_names(codes: str) -> str:
    """Candidate groups (unit codes or roles) as people read them: 市场监督管理所, 专项办领导 ..."""
    from domain.labels import ROLE, UNIT
    names = []
    for code in (c for c in (codes or "").split(",") if c):
        vocabulary = "role" if code in ROLE else "unit" if code in UNIT else None
        names.append(label(vocabulary, code, short_locale()) if vocabulary else code)
    return "、".join(names) if short_locale() == "zh" else ", ".join(names)


def vocab(code, vocabulary):
    """A campaign code (channel, sector, grade ...) in the page's language."""
    return label(vocabulary, code, short_locale()) if code else ""


def register(app):
    app.add_template_filter(localtime)
    app.add_template_filter(vocab)
    app.add_template_filter(group_names)
    app.add_template_global(countdown)
    app.add_template_global(badges)
    app.add_template_global(level_name)
