"""How times, deadlines and levels look on a page (template filters and helpers)."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app, g
from flask_babel import gettext as _

from domain import wording
from domain.labels import label
from engine import clock
from engine.escalation import remaining_workdays
from web.i18n import short_locale

BEIJING = ZoneInfo("Asia/Shanghai")
DUE_SOON = timedelta(days=2)


def localtime(moment, fmt="%Y-%m-%d %H:%M"):
    return "" if moment is None else moment.astimezone(BEIJING).strftime(fmt)


def countdown(task) -> dict | None:
    """剩N天 in working days, 今日到期 on the due day (Beijing date), or how many working days
    past due; None without a due time."""
    if task.due_at is None or task.status != "open":
        return None
    from web import runtime_of
    now = clock.now()
    days = remaining_workdays(task.due_at, now, runtime_of(current_app).engine.calendar())
    late = task.due_at <= now
    if localtime(task.due_at, "%Y-%m-%d") == localtime(now, "%Y-%m-%d"):
        text = _("Due today")
    elif late:  # 0 working days late: due on a working day, read on the weekend after it
        text = _("%(n)s days overdue", n=-days) if days else _("Overdue")
    else:  # 0 working days left: due on a day off ahead (calendar-day deadlines)
        text = _("%(n)s days left", n=days) if days else _("Due soon")
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


def unit_name_map() -> dict[str, str]:
    """{unit code: name in the page's language}, read once per request."""
    from web.extensions import db
    locale = short_locale()
    key = f"_unit_names_{locale}"
    if key not in g:
        setattr(g, key, wording.unit_names(db.session, locale))
    return g.get(key)


def working_group_name_map() -> dict[str, str]:
    """{working group code: name in the page's language}, read once per request."""
    from web.extensions import db
    locale = short_locale()
    key = f"_working_group_names_{locale}"
    if key not in g:
        setattr(g, key, wording.working_group_names(db.session, locale))
    return g.get(key)


def group_names(codes: str) -> str:
    """Candidate groups (unit codes, working groups or roles) as people read them: 新塘市场监督管理所,
    打击组, 专项办领导 ..."""
    from domain.labels import ROLE, UNIT
    locale = short_locale()
    units = unit_name_map()
    working = working_group_name_map()
    names = []
    for code in (c for c in (codes or "").split(",") if c):
        vocabulary = "role" if code in ROLE else "unit" if code in UNIT else None
        names.append(units.get(code) or working.get(code)
                     or (label(vocabulary, code, locale) if vocabulary else code))
    return "、".join(names) if locale == "zh" else ", ".join(names)


def person(username: str | None) -> str:
    """A username as people read it: 姓名（单位） (domain.wording); 系统 for the engine."""
    if not username:
        return ""
    from web.extensions import db
    locale = short_locale()
    key = f"_person_labels_{locale}"
    if key not in g:
        setattr(g, key, {})
    cache = g.get(key)
    if username not in cache:
        cache.update(wording.person_labels(db.session, [username], locale))
    return cache.get(username, username)


def vocab(code, vocabulary):
    """A campaign code (channel, sector, grade ...) in the page's language."""
    return label(vocabulary, code, short_locale()) if code else ""


def register(app):
    app.add_template_filter(localtime)
    app.add_template_filter(vocab)
    app.add_template_filter(group_names)
    app.add_template_filter(person)
    app.add_template_global(countdown)
    app.add_template_global(badges)
    app.add_template_global(level_name)
