"""The campaign (专项行动) page: its period, phases and the special office's working groups.

Administrators and the office's leaders edit; every other signed-in user reads.

    GET  /admin/campaign/                                  the current campaign (?campaign=<id>: another)
    POST /admin/campaign/                                  create a campaign (name_zh, name_en, level, first_day, last_day)
    POST /admin/campaign/<id>                              change its name, level and period
    POST /admin/campaign/<id>/phases                       add a phase (kind, name, first_day, last_day)
    POST /admin/campaign/<id>/phases/<phase_id>            change a phase
    POST /admin/campaign/<id>/phases/<phase_id>/delete     delete a phase
    POST /admin/campaign/groups                            create a working group (code, name_zh, name_en)
    POST /admin/campaign/groups/<group_id>/members         add a member (user_id)
    POST /admin/campaign/groups/<group_id>/members/<user_id>/delete   remove a member

Bad input answers 422 with the page, the message beside the field of the form that was sent;
nothing is written.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import pgettext
from flask_login import current_user, login_required

from domain import campaign as campaigns
from domain.errors import ValidationFailed
from domain.labels import CAMPAIGN_LEVELS, PHASE_KINDS
from domain.models import Campaign, CampaignPhase, WorkingGroup
from domain.wording import person_labels
from web.access import roles_required
from web.extensions import db
from web.i18n import short_locale
from web.params import int_arg

bp = Blueprint("campaign", __name__, url_prefix="/admin/campaign")
EDITORS = ("administrator", "office_leader")
editors_only = roles_required(*EDITORS)


def t(text: str, **variables) -> str:
    """This area's strings (context `campaign`)."""
    return pgettext("campaign", text, **variables)


@bp.context_processor
def _helpers():
    return {"t": t}


def may_edit() -> bool:
    return current_user.is_authenticated and current_user.has_role(*EDITORS)


def _campaign_or_404(campaign_id: int) -> Campaign:
    found = db.session.get(Campaign, campaign_id)
    if found is None:
        abort(404)
    return found


def _page(shown: Campaign | None, form: str | None = None, errors: dict | None = None, values=None,
          status: int = 200):
    locale = short_locale()
    groups = campaigns.working_groups(db.session)
    member_names = person_labels(db.session, [user.username for group in groups for user in group.members]
                                 + [user.username for user in campaigns.member_choices(db.session)], locale)
    today_phase = campaigns.current_phase(db.session)
    return render_template(
        "admin/campaign.html", campaign=shown, campaigns=campaigns.campaigns(db.session), groups=groups,
        phases=shown.phases if shown else [], levels=CAMPAIGN_LEVELS, kinds=PHASE_KINDS, may_edit=may_edit(),
        people=campaigns.member_choices(db.session), member_names=member_names, today_phase=today_phase,
        phase_label=lambda phase: campaigns.phase_label(phase, locale), form=form, errors=errors or {},
        values=values or {}), status


def _failed(shown: Campaign | None, form: str, error: ValidationFailed):
    db.session.rollback()
    if shown is not None:
        shown = db.session.get(Campaign, shown.id)
    return _page(shown, form, error.messages, request.form.to_dict(), 422)


def _back(campaign_id: int | None = None, anchor: str | None = None):
    target = url_for("campaign.page", **({"campaign": campaign_id} if campaign_id else {}))
    return redirect(f"{target}#{anchor}" if anchor else target)


def _form_data(*names) -> dict:
    """The named fields, empty ones left out (so `required` names the missing field)."""
    return {name: request.form[name] for name in names if (request.form.get(name) or "").strip()}


@bp.get("/")
@login_required
def page():
    chosen = int_arg("campaign")  # 400 naming the parameter unless a whole number in the ids' range
    shown = _campaign_or_404(chosen) if chosen else campaigns.current_campaign(db.session)
    return _page(shown)


@bp.post("/")
@editors_only
def create():
    try:
        created = campaigns.save_campaign(db.session, _form_data("name_zh", "name_en", "level", "first_day",
                                                                 "last_day"), current_user.actor,
                                          locale=short_locale())
    except ValidationFailed as error:
        return _failed(campaigns.current_campaign(db.session), "campaign-new", error)
    db.session.commit()
    flash(t("The campaign is saved."), "success")
    return _back(created.id)


@bp.post("/<int:campaign_id>")
@editors_only
def save(campaign_id: int):
    shown = _campaign_or_404(campaign_id)
    try:
        campaigns.save_campaign(db.session, _form_data("name_zh", "name_en", "level", "first_day", "last_day"),
                                current_user.actor, shown, short_locale())
    except ValidationFailed as error:
        return _failed(shown, "campaign", error)
    db.session.commit()
    flash(t("The campaign is saved."), "success")
    return _back(campaign_id)


def _phase_or_404(shown: Campaign, phase_id: int) -> CampaignPhase:
    phase = db.session.get(CampaignPhase, phase_id)
    if phase is None or phase.campaign_id != shown.id:
        abort(404)
    return phase


@bp.post("/<int:campaign_id>/phases")
@editors_only
def add_phase(campaign_id: int):
    shown = _campaign_or_404(campaign_id)
    try:
        campaigns.save_phase(db.session, shown, _form_data("kind", "name", "first_day", "last_day"),
                             current_user.actor, locale=short_locale())
    except ValidationFailed as error:
        return _failed(shown, "phase-new", error)
    db.session.commit()
    flash(t("The phase is saved."), "success")
    return _back(campaign_id, "phases")


@bp.post("/<int:campaign_id>/phases/<int:phase_id>")
@editors_only
def save_phase(campaign_id: int, phase_id: int):
    shown = _campaign_or_404(campaign_id)
    phase = _phase_or_404(shown, phase_id)
    try:
        campaigns.save_phase(db.session, shown, _form_data("kind", "name", "first_day", "last_day"),
                             current_user.actor, phase, short_locale())
    except ValidationFailed as error:
        return _failed(shown, f"phase-{phase_id}", error)
    db.session.commit()
    flash(t("The phase is saved."), "success")
    return _back(campaign_id, "phases")


@bp.post("/<int:campaign_id>/phases/<int:phase_id>/delete")
@editors_only
def delete_phase(campaign_id: int, phase_id: int):
    shown = _campaign_or_404(campaign_id)
    campaigns.delete_phase(db.session, _phase_or_404(shown, phase_id), current_user.actor)
    db.session.commit()
    flash(t("The phase is deleted."), "success")
    return _back(campaign_id, "phases")


# -- working groups ------------------------------------------------------------------------

def _group_or_404(group_id: int) -> WorkingGroup:
    group = db.session.get(WorkingGroup, group_id)
    if group is None:
        abort(404)
    return group


@bp.post("/groups")
@editors_only
def add_group():
    try:
        campaigns.save_group(db.session, _form_data("code", "name_zh", "name_en"), current_user.actor,
                             locale=short_locale())
    except ValidationFailed as error:
        return _failed(campaigns.current_campaign(db.session), "group-new", error)
    db.session.commit()
    flash(t("The working group is saved."), "success")
    return _back(anchor="groups")


@bp.post("/groups/<int:group_id>/members")
@editors_only
def add_member(group_id: int):
    group = _group_or_404(group_id)
    try:
        campaigns.add_member(db.session, group, request.form.get("user_id"), current_user.actor, short_locale())
    except ValidationFailed as error:
        return _failed(campaigns.current_campaign(db.session), f"members-{group_id}", error)
    db.session.commit()
    flash(t("The member is added."), "success")
    return _back(anchor=f"group-{group_id}")


@bp.post("/groups/<int:group_id>/members/<int:user_id>/delete")
@editors_only
def remove_member(group_id: int, user_id: int):
    group = _group_or_404(group_id)
    try:
        campaigns.remove_member(db.session, group, user_id, current_user.actor, short_locale())
    except ValidationFailed:
        abort(404)
    db.session.commit()
    flash(t("The member is removed."), "success")
    return _back(anchor=f"group-{group_id}")
