"""The campaign-phase filter shared by the dashboard, the monthly report and the leads list.

`phase=<id>` in the URL sets the period to the phase's dates (Beijing dates, both included).
An unknown or malformed phase is the user's mistake: a 422 page that says so, never a 500.
"""
from flask import render_template
from flask_babel import pgettext

from domain import campaign as campaigns
from domain.models import CampaignPhase
from web.extensions import db
from web.i18n import short_locale
from web.reports import Period


class UnknownPhase(Exception):
    """The `phase` argument names no phase."""


def chosen_phase(args) -> CampaignPhase | None:
    """The phase of `args["phase"]`, None when the argument is absent or empty; UnknownPhase otherwise."""
    raw = (args.get("phase") or "").strip()
    if not raw:
        return None
    phase = campaigns.phase_by_id(db.session, raw)
    if phase is None:
        raise UnknownPhase(raw)
    return phase


def period_of(phase: CampaignPhase) -> Period:
    return Period(phase.first_day, phase.last_day)


def unknown_phase_page():
    message = pgettext("campaign", "There is no such campaign phase; choose one from the list.")
    return render_template("error.html", code=422, message=message), 422


def choice_label(phase: CampaignPhase) -> str:
    """打击整治（2026-05-01 – 2026-11-30）: the phase's name and dates."""
    locale = short_locale()
    dates = f"{phase.first_day.isoformat()} – {phase.last_day.isoformat()}"
    name = campaigns.phase_label(phase, locale)
    return f"{name}（{dates}）" if locale == "zh" else f"{name} ({dates})"


def choices() -> list[dict]:
    """Every phase as the selector lists it: id and label (name and dates)."""
    return [{"id": phase.id, "label": choice_label(phase)} for phase in campaigns.phases(db.session)]


def current_phase_text() -> dict | None:
    """Today's phase (Beijing date) for page headers: its label and dates, or None between phases."""
    phase = campaigns.current_phase(db.session)
    if phase is None:
        return None
    return {"id": phase.id, "label": campaigns.phase_label(phase, short_locale()),
            "first": phase.first_day.isoformat(), "last": phase.last_day.isoformat(),
            "campaign": phase.campaign.name(short_locale())}
