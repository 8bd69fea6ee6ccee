"""宣传发动: publicity activities, who may record, see and change them, and their figures.

A unit (member unit, community or the special office) records what it held: a lecture, a leaflet
drive, boards and banners, text messages, a round of door-to-door visits (grid workers, from their
phones), media works, exposed cases. The figures the dashboard and the unit's monthly return show
come from one SELECT (`figures_by`), so both always agree.

Who (`Who`):
- officers of any unit and grid workers record activities of their own unit;
- the special office (its staff, leaders, administrators) and supervisors see every activity;
  an officer sees their unit's; a grid worker, who sees no unit's work, sees their own records;
- the recording unit changes or deletes a record while the month it was held in is the current
  one (after that it is in a monthly return); a grid worker only their own; the office always.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, false, func, select, true

from domain.audit import audit
from domain.errors import PermissionDenied, ValidationFailed
from domain.labels import FIELD, PUBLICITY_FORMS, PUBLICITY_ITEM, pick
from domain.messages import message
from domain.models import PublicityActivity, PublicityPhoto, Unit
from engine.workcal import CHINA_TZ

MAX_COUNT = 1_000_000          # per activity: more people, copies or messages than a district has
MAX_PHOTOS = 9
TEXT_LIMITS = {"title": 200, "place": 200, "description": 2000}
EARLIEST = date(2000, 1, 1)
ELSEWHERE = "elsewhere"        # the by-community key of activities held outside the community units

# The monthly return contract: (key, zh label, en label), in display order.
RETURN_FIGURES: list[tuple[str, str, str]] = [
    ("activities", "宣传活动（次）", "Publicity activities"),
    ("audience", "受众（人次）", "People reached"),
    ("materials", "发放宣传资料（份）", "Materials distributed (copies)"),
    ("boards", "制作宣传展板/横幅（块）", "Boards and banners made"),
    ("messages", "短信/推送/公益广告（条）", "Messages and public-service ads"),
    ("households", "入户走访（户）", "Households visited"),
]
FIGURE_KEYS = tuple(key for key, _zh, _en in RETURN_FIGURES)
# Which forms' `items` each figure sums (the rest are counted in `activities` only).
ITEM_FIGURES = {"boards": ("boards_banners",), "messages": ("sms_push", "media"), "households": ("door_to_door",)}

OFFICE_ROLES = frozenset({"office_leader", "administrator"})
RECORDING_ROLES = frozenset({"officer", "grid_worker"})


# -- who ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Who:
    """The user as these rules need them: their username, unit code and roles."""

    username: str
    unit: str | None
    roles: frozenset

    @classmethod
    def of(cls, user) -> "Who":
        """A domain User or the web's CurrentUser."""
        unit = getattr(user, "unit_code", None)
        if unit is None and getattr(user, "unit", None) is not None:
            unit = user.unit.code
        return cls(user.username, unit, frozenset(user.roles))

    @property
    def is_office(self) -> bool:
        return self.unit == "office" or bool(self.roles & OFFICE_ROLES)

    @property
    def sees_all(self) -> bool:
        return self.is_office or "supervisor" in self.roles

    @property
    def grid_worker_only(self) -> bool:
        """A grid worker and nothing else: they see and change only what they recorded."""
        return self.roles == {"grid_worker"}

    @property
    def may_record(self) -> bool:
        return self.unit is not None and bool(self.roles & RECORDING_ROLES)


def beijing_today(now: datetime) -> date:
    return now.astimezone(CHINA_TZ).date()


def visible_clause(who: Who):
    """SQL: the activities `who` may see (None: every one)."""
    if who.sees_all:
        return None
    if who.grid_worker_only or who.unit is None:
        return PublicityActivity.recorded_by == who.username
    return PublicityActivity.unit == who.unit


def can_see(who: Who, activity: PublicityActivity) -> bool:
    if who.sees_all:
        return True
    if who.grid_worker_only or who.unit is None:
        return activity.recorded_by == who.username
    return activity.unit == who.unit


def _same_month(day: date, today: date) -> bool:
    return (day.year, day.month) == (today.year, today.month)


def can_change(who: Who, activity: PublicityActivity, now: datetime) -> bool:
    """Edit or delete: the office always; the recording unit while the activity's month is current."""
    if who.is_office:
        return True
    if not _same_month(activity.held_on, beijing_today(now)):
        return False
    if who.grid_worker_only:
        return activity.recorded_by == who.username
    return activity.unit == who.unit and bool(who.roles & {"officer", "supervisor"})


# -- validation -------------------------------------------------------------------------------------

def _label(field: str, locale: str) -> str:
    return pick(FIELD[field], locale)


def _say(errors: dict, field: str, key: str, locale: str, label_field: str | None = None, **params) -> None:
    errors.setdefault(field, []).append(message(key, locale, label=_label(label_field or field, locale), **params))


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _count(data: Mapping, field: str, errors: dict, locale: str, label_field: str | None = None) -> int:
    """A whole number 0..MAX_COUNT; blank is 0."""
    raw = data.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        _say(errors, field, "invalid_integer", locale, label_field)
        return 0
    text = str(raw).strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
        _say(errors, field, "invalid_integer" if len(text) <= 12 else "too_large", locale, label_field,
             max=MAX_COUNT)
        return 0
    value = int(text)
    if value < 0:
        _say(errors, field, "too_small", locale, label_field, min=0)
    elif value > MAX_COUNT:
        _say(errors, field, "too_large", locale, label_field, max=MAX_COUNT)
    return value


def item_label(form: str | None, locale: str = "zh") -> str | None:
    """The measure of `items` for this form (展板/横幅（块）...), or None when the form has none."""
    entry = PUBLICITY_ITEM.get(form or "")
    return pick(entry, locale) if entry else None


def load_activity(data: Mapping, *, today: date, communities: set[str], locale: str = "zh") -> dict:
    """The activity's values from a form or JSON body; ValidationFailed names each bad field."""
    errors: dict[str, list[str]] = {}
    values: dict = {}

    raw_day = _text(data.get("held_on")) if not isinstance(data.get("held_on"), date) else data["held_on"]
    if isinstance(raw_day, date):
        day = raw_day
    elif not raw_day:
        day = None
        _say(errors, "held_on", "required", locale)
    else:
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            day = None
            _say(errors, "held_on", "invalid_date", locale)
    if day is not None:
        if day < EARLIEST:
            _say(errors, "held_on", "invalid_date", locale)
        elif day > today:
            _say(errors, "held_on", "not_past", locale)
        values["held_on"] = day

    form = _text(data.get("form"))
    if not form:
        _say(errors, "form", "required", locale)
    elif form not in PUBLICITY_FORMS:
        _say(errors, "form", "invalid_choice", locale)
    values["form"] = form

    community = _text(data.get("community")) or None
    if community is not None and community not in communities:
        _say(errors, "community", "invalid_choice", locale)
    values["community"] = community

    for field, limit in TEXT_LIMITS.items():
        raw = data.get(field)
        if raw is not None and not isinstance(raw, str):
            _say(errors, field, "invalid_text", locale)
            raw = ""
        text = _text(raw)
        if len(text) > limit:
            _say(errors, field, "too_long", locale, max=limit)
        values[field] = text
    if not values["title"]:
        _say(errors, "title", "required", locale)
    if community is None and not values["place"] and "community" not in errors:
        _say(errors, "place", "required", locale)  # somewhere: a community, or a place in words

    values["audience"] = _count(data, "audience", errors, locale)
    values["materials"] = _count(data, "materials", errors, locale)
    values["items"] = _count(data, "items", errors, locale)
    if values["items"] and form in PUBLICITY_FORMS and form not in PUBLICITY_ITEM:
        _say(errors, "items", "not_counted", locale)

    if errors:
        raise ValidationFailed(errors)
    return values


def community_codes(session) -> set[str]:
    return set(session.scalars(select(Unit.code).where(Unit.kind == "community", Unit.active.is_(True))))


# -- writes (audited) ----------------------------------------------------------------------------

def record_activity(session, data: Mapping, who: Who, now: datetime, locale: str = "zh") -> PublicityActivity:
    """Validate and add an activity of `who`'s unit."""
    if not who.may_record:
        raise PermissionDenied("only officers and grid workers record publicity activities")
    values = load_activity(data, today=beijing_today(now), communities=community_codes(session), locale=locale)
    activity = PublicityActivity(**values, unit=who.unit, recorded_by=who.username, recorded_at=now)
    session.add(activity)
    session.flush()
    audit(session, who.username, "publicity.recorded", activity_id=activity.id, unit=activity.unit,
          form=activity.form, held_on=activity.held_on.isoformat())
    return activity


CHANGEABLE = ("held_on", "form", "community", "place", "title", "description", "audience", "materials", "items")


def update_activity(session, activity: PublicityActivity, data: Mapping, who: Who, now: datetime,
                    locale: str = "zh") -> dict:
    """Change an activity (whoever `can_change` it); returns {field: [old, new]} of what changed.
    Outside the office, the new date must stay in the current month: last month's return is made."""
    if not can_change(who, activity, now):
        raise PermissionDenied("this publicity activity cannot be changed any more")
    today = beijing_today(now)
    values = load_activity(data, today=today, communities=community_codes(session), locale=locale)
    if not who.is_office and not _same_month(values["held_on"], today):
        raise ValidationFailed({"held_on": [message("current_month_only", locale, label=_label("held_on", locale))]})
    changed = {}
    for field in CHANGEABLE:
        old, new = getattr(activity, field), values[field]
        if old != new:
            changed[field] = [old.isoformat() if isinstance(old, date) else old,
                              new.isoformat() if isinstance(new, date) else new]
            setattr(activity, field, new)
    activity.updated_by, activity.updated_at = who.username, now
    session.flush()
    audit(session, who.username, "publicity.updated", activity_id=activity.id, unit=activity.unit, changed=changed)
    return changed


def delete_activity(session, activity: PublicityActivity, who: Who, now: datetime) -> list[str]:
    """Delete an activity and its photos' rows; returns the photos' storage names (the caller removes
    the files once the deletion is committed). The audit trail keeps what it said."""
    if not can_change(who, activity, now):
        raise PermissionDenied("this publicity activity cannot be deleted any more")
    stored = [photo.storage_name for photo in activity.photos]
    audit(session, who.username, "publicity.deleted", activity_id=activity.id, unit=activity.unit,
          form=activity.form, held_on=activity.held_on.isoformat(), title=activity.title,
          audience=activity.audience, materials=activity.materials, items=activity.items,
          recorded_by=activity.recorded_by, photos=len(stored))
    session.delete(activity)
    session.flush()
    return stored


def add_photo(session, activity: PublicityActivity, who: Who, now: datetime, *, filename: str, storage_name: str,
              content_type: str, size: int, sha256: str) -> PublicityPhoto:
    photo = PublicityPhoto(activity=activity, filename=filename, storage_name=storage_name,
                           content_type=content_type, size=size, sha256=sha256, uploaded_by=who.username,
                           uploaded_at=now)
    session.add(photo)
    session.flush()
    audit(session, who.username, "publicity.photo_added", activity_id=activity.id, photo_id=photo.id,
          filename=filename)
    return photo


def remove_photo(session, photo: PublicityPhoto, who: Who) -> str:
    storage_name = photo.storage_name
    audit(session, who.username, "publicity.photo_removed", activity_id=photo.activity_id, photo_id=photo.id,
          filename=photo.filename)
    session.delete(photo)
    session.flush()
    return storage_name


# -- figures ------------------------------------------------------------------------------------

def conditions(unit_codes: set[str] | frozenset | None, first: date | None, last: date | None, *,
               unit: str | None = None, community: str | None = None, form: str | None = None,
               visible=None) -> list:
    """The WHERE of the list, its export and every figure: activities of those units (None: every
    unit) held between first and last (Beijing dates, both included; None: open-ended)."""
    where = []
    if unit_codes is not None:
        where.append(PublicityActivity.unit.in_(sorted(unit_codes)) if unit_codes else false())
    if first is not None:
        where.append(PublicityActivity.held_on >= first)
    if last is not None:
        where.append(PublicityActivity.held_on <= last)
    if unit:
        where.append(PublicityActivity.unit == unit)
    if community == ELSEWHERE:
        where.append(PublicityActivity.community.is_(None))
    elif community:
        where.append(PublicityActivity.community == community)
    if form:
        where.append(PublicityActivity.form == form)
    if visible is not None:
        where.append(visible)
    return where


def _sum_items(forms):
    return func.coalesce(func.sum(case((PublicityActivity.form.in_(forms), PublicityActivity.items), else_=0)), 0)


def _figure_columns():
    return [func.count(PublicityActivity.id).label("activities"),
            func.coalesce(func.sum(PublicityActivity.audience), 0).label("audience"),
            func.coalesce(func.sum(PublicityActivity.materials), 0).label("materials"),
            *(_sum_items(forms).label(key) for key, forms in ITEM_FIGURES.items())]


BREAKDOWNS = {
    "unit": PublicityActivity.unit,
    "community": func.coalesce(PublicityActivity.community, ELSEWHERE),
    "form": PublicityActivity.form,
}


def figures_by(session, by: str | None, where: list) -> dict:
    """{key: {figure: n}} for the activities meeting `where` (`conditions`), one GROUP BY; with `by`
    None, the totals ({figure: n}, every key present)."""
    if by is None:
        row = session.execute(select(*_figure_columns()).where(and_(true(), *where))).one()
        return {key: int(getattr(row, key) or 0) for key in FIGURE_KEYS}
    key = BREAKDOWNS[by].label("key")
    query = select(key, *_figure_columns()).where(and_(true(), *where)).group_by(key)
    return {row.key: {name: int(getattr(row, name) or 0) for name in FIGURE_KEYS} for row in session.execute(query)}


def return_figures(session, unit_codes: set[str] | None, first: date, last: date) -> dict[str, int]:
    """Figures for activities of those units (None = every unit) held between first and last (Beijing
    dates, both included). Every key of RETURN_FIGURES is present (0 when nothing)."""
    return figures_by(session, None, conditions(unit_codes, first, last))
