"""The campaign (专项行动): its period and phases, and the special office's working groups.

    phases(session)                     every phase, in date order (the phase filters' choices)
    current_phase(session, day)         the phase a Beijing date falls in, or None
    current_campaign(session, day)      the campaign running on that day, else the nearest one
    phase_by_id(session, id)            one phase, or None
    save_campaign / save_phase / delete_phase        validated edits (ValidationFailed names the field)
    save_group / add_member / remove_member          working groups and their members

A phase lies inside its campaign's period and overlaps no other phase of it, so a date
belongs to at most one phase of a campaign. One campaign at a time is the normal case; the
tables can hold more (a later campaign, or one of another level).

A working group's code (group_strike …) is a BPMN candidate group: its members hold it
among their groups (domain.models.User.groups), so a user task for `group_strike` reaches
them in the inbox.
"""
import re
from datetime import date

from sqlalchemy import select

from domain.audit import audit
from domain.errors import ValidationFailed
from domain.labels import FIELD, ROLE, UNIT, label, pick
from domain.messages import message
from domain.models import Campaign, CampaignPhase, Unit, User, WorkingGroup
from domain.schemas import load_specs, spec
from engine import clock

GROUP_CODE = re.compile(r"^group_[a-z][a-z0-9_]{1,33}$")

CAMPAIGN_FIELDS = [
    spec("name_zh", "text", True, max_length=200),
    spec("name_en", "text", max_length=200),
    spec("level", "enum", True, "campaign_level", label="campaign_level"),
    spec("first_day", "date", True),
    spec("last_day", "date", True),
]

PHASE_FIELDS = [
    spec("kind", "enum", True, "phase_kind", label="phase_kind"),
    spec("name", "text", max_length=200, label="phase_name"),
    spec("first_day", "date", True),
    spec("last_day", "date", True),
]

GROUP_FIELDS = [
    spec("code", "text", True, max_length=40, label="group_code"),
    spec("name_zh", "text", True, max_length=200),
    spec("name_en", "text", max_length=200),
]


def _field(field_id: str, locale) -> str:
    return pick(FIELD[field_id], locale)


def _fail(field_id: str, key: str, locale, **params):
    raise ValidationFailed({field_id: [message(key, locale, **params)]})


# -- reading ------------------------------------------------------------------------------

def campaigns(session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.first_day, Campaign.id)))


def current_campaign(session, day: date | None = None) -> Campaign | None:
    """The campaign whose period holds `day` (today in Beijing by default); else the next one to
    begin, else the last one to have ended; None when there is none."""
    day = day or _today()
    running = session.scalars(select(Campaign).where(Campaign.first_day <= day, Campaign.last_day >= day)
                              .order_by(Campaign.first_day.desc(), Campaign.id.desc())).first()
    if running is not None:
        return running
    coming = session.scalars(select(Campaign).where(Campaign.first_day > day)
                             .order_by(Campaign.first_day, Campaign.id)).first()
    return coming or session.scalars(select(Campaign).order_by(Campaign.last_day.desc(), Campaign.id.desc())).first()


def _today() -> date:
    from zoneinfo import ZoneInfo
    return clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()


def phases(session, campaign_id: int | None = None) -> list[CampaignPhase]:
    """Phases in date order: of one campaign, or of every campaign."""
    query = select(CampaignPhase).order_by(CampaignPhase.first_day, CampaignPhase.id)
    if campaign_id is not None:
        query = query.where(CampaignPhase.campaign_id == campaign_id)
    return list(session.scalars(query))


def current_phase(session, day: date | None = None) -> CampaignPhase | None:
    """The phase `day` (a Beijing date; today by default) falls in, or None between phases."""
    day = day or _today()
    return session.scalars(select(CampaignPhase).where(CampaignPhase.first_day <= day,
                                                       CampaignPhase.last_day >= day)
                           .order_by(CampaignPhase.first_day.desc(), CampaignPhase.id.desc())).first()


def phase_by_id(session, phase_id) -> CampaignPhase | None:
    try:
        number = int(phase_id)
    except (TypeError, ValueError):
        return None
    return session.get(CampaignPhase, number) if 0 < number < 2 ** 62 else None


def phase_label(phase: CampaignPhase, locale: str = "zh") -> str:
    """What a phase reads as: its name, or its kind's label when it has none or the default one."""
    if not phase.name or phase.name == label("phase_kind", phase.kind, "zh"):
        return label("phase_kind", phase.kind, locale)
    return phase.name


def working_groups(session, active_only: bool = False) -> list[WorkingGroup]:
    query = select(WorkingGroup).order_by(WorkingGroup.id)
    if active_only:
        query = query.where(WorkingGroup.active.is_(True))
    return list(session.scalars(query))


def group_names(session, locale: str = "zh") -> dict[str, str]:
    """{group code: name in `locale`} of every working group (for candidate-group wording)."""
    return {code: (name_en if locale.startswith("en") and name_en else name_zh)
            for code, name_zh, name_en in session.execute(
                select(WorkingGroup.code, WorkingGroup.name_zh, WorkingGroup.name_en))}


# -- the campaign and its phases -----------------------------------------------------------

def _check_period(first: date, last: date, locale) -> None:
    if first > last:
        _fail("last_day", "day_before_first", locale, label=_field("last_day", locale),
              first=_field("first_day", locale))


def save_campaign(session, data: dict, actor, campaign: Campaign | None = None, locale: str = "zh") -> Campaign:
    """Create or change a campaign. Its phases must stay inside the new period."""
    values = load_specs(CAMPAIGN_FIELDS, data, locale)
    _check_period(values["first_day"], values["last_day"], locale)
    if campaign is not None:
        for phase in campaign.phases:
            if phase.first_day < values["first_day"]:
                _fail("first_day", "period_leaves_phase_out", locale, label=_field("first_day", locale),
                      phase=phase_label(phase, locale))
            if phase.last_day > values["last_day"]:
                _fail("last_day", "period_leaves_phase_out", locale, label=_field("last_day", locale),
                      phase=phase_label(phase, locale))
    now = clock.now()
    if campaign is None:
        campaign = Campaign(created_at=now)
        session.add(campaign)
    campaign.name_zh = values["name_zh"].strip()
    campaign.name_en = (values.get("name_en") or "").strip()
    campaign.level = values["level"]
    campaign.first_day, campaign.last_day = values["first_day"], values["last_day"]
    campaign.updated_at, campaign.updated_by = now, getattr(actor, "username", actor)
    session.flush()
    audit(session, actor, "campaign.saved", campaign=campaign.id, name=campaign.name_zh,
          first_day=campaign.first_day.isoformat(), last_day=campaign.last_day.isoformat())
    return campaign


def save_phase(session, campaign: Campaign, data: dict, actor, phase: CampaignPhase | None = None,
               locale: str = "zh") -> CampaignPhase:
    """Add a phase to `campaign`, or change one: inside the period, overlapping no other phase."""
    values = load_specs(PHASE_FIELDS, data, locale)
    first, last = values["first_day"], values["last_day"]
    _check_period(first, last, locale)
    if first < campaign.first_day:
        _fail("first_day", "phase_outside_period", locale, label=_field("first_day", locale),
              first=campaign.first_day.isoformat(), last=campaign.last_day.isoformat())
    if last > campaign.last_day:
        _fail("last_day", "phase_outside_period", locale, label=_field("last_day", locale),
              first=campaign.first_day.isoformat(), last=campaign.last_day.isoformat())
    for other in campaign.phases:
        if other is phase or (phase is not None and other.id == phase.id):
            continue
        if first <= other.last_day and other.first_day <= last:
            field_id = "first_day" if other.first_day <= first <= other.last_day else "last_day"
            _fail(field_id, "phase_overlap", locale, label=_field(field_id, locale),
                  phase=phase_label(other, locale), first=other.first_day.isoformat(),
                  last=other.last_day.isoformat())
    if phase is None:
        phase = CampaignPhase(campaign=campaign)
        session.add(phase)
    phase.kind = values["kind"]
    phase.name = (values.get("name") or "").strip() or label("phase_kind", values["kind"], "zh")
    phase.first_day, phase.last_day = first, last
    session.flush()
    audit(session, actor, "campaign.phase_saved", campaign=campaign.id, phase=phase.id, kind=phase.kind,
          first_day=first.isoformat(), last_day=last.isoformat())
    return phase


def delete_phase(session, phase: CampaignPhase, actor) -> None:
    audit(session, actor, "campaign.phase_deleted", campaign=phase.campaign_id, phase=phase.id, kind=phase.kind)
    campaign = phase.campaign
    campaign.phases.remove(phase)
    session.flush()


# -- working groups -------------------------------------------------------------------------

def save_group(session, data: dict, actor, group: WorkingGroup | None = None, locale: str = "zh") -> WorkingGroup:
    """Create a working group (its code must be new, `group_…`, and no unit's or role's), or rename one."""
    values = load_specs(GROUP_FIELDS, data, locale)
    code = values["code"].strip()
    if group is not None and code != group.code:
        # The code is what BPMN files name: changing it would strand their tasks.
        _fail("code", "group_code_fixed", locale, label=_field("group_code", locale))
    if group is None:
        if not GROUP_CODE.match(code):
            _fail("code", "group_code_invalid", locale, label=_field("group_code", locale))
        taken = (code in UNIT or code in ROLE
                 or session.scalar(select(Unit.id).where(Unit.code == code)) is not None
                 or session.scalar(select(WorkingGroup.id).where(WorkingGroup.code == code)) is not None)
        if taken:
            _fail("code", "group_code_taken", locale, label=_field("group_code", locale))
        group = WorkingGroup(code=code, active=True)
        session.add(group)
    group.name_zh = values["name_zh"].strip()
    group.name_en = (values.get("name_en") or "").strip()
    session.flush()
    audit(session, actor, "working_group.saved", group=group.code, name=group.name_zh)
    return group


def add_member(session, group: WorkingGroup, user_id, actor, locale: str = "zh") -> User:
    """Put a user into the group; an active user who is not only a grid worker (they hold no tasks)."""
    user = session.get(User, int(user_id)) if str(user_id or "").isdigit() else None
    if user is None or not user.active or user.roles == {"grid_worker"}:
        _fail("member", "not_found", locale, label=_field("member", locale))
    if user not in group.members:
        group.members.append(user)
        session.flush()
        audit(session, actor, "working_group.member_added", group=group.code, user=user.username)
    return user


def remove_member(session, group: WorkingGroup, user_id, actor, locale: str = "zh") -> None:
    member = next((user for user in group.members if str(user.id) == str(user_id)), None)
    if member is None:
        _fail("member", "not_found", locale, label=_field("member", locale))
    group.members.remove(member)
    session.flush()
    audit(session, actor, "working_group.member_removed", group=group.code, user=member.username)


def member_choices(session) -> list[User]:
    """People who may join a working group: active users who handle work (not grid workers only)."""
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.unit_id, User.id))
    return [user for user in users if user.roles != {"grid_worker"}]
