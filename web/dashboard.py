"""Dashboards, monthly reports and the risk ledger export for leaders and supervisors.

Routes (all for supervisors, office leaders and administrators; officers get 403):

    /dashboard/                 figures and charts for a date range (from, to; default this month), or for a
                                campaign phase (phase=<id>: the phase's dates; an unknown phase is a 422 page)
    /dashboard/list             the records behind one figure (figure, key, from, to, unit)
    /dashboard/reports          the monthly report of a unit or of the whole campaign (month, unit; phase=<id>
                                instead of month: the report over that phase's dates)
    /dashboard/reports.xlsx     the same as a workbook: one sheet of figures, one per list
    /dashboard/ledger.xlsx      the risk ledger (风险台账)

Every page is scoped to the user's visible units (`CurrentUser.visible_units()`), and
narrowed to one of them with `unit=`. The figures come from web.reports.
"""
from io import BytesIO

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_babel import pgettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from domain import campaign, publicity
from domain.inspections import figures as inspection_figures
from domain.labels import CHANNELS, GRADES, MEASURES, PUBLICITY_FORMS, SECTORS
from domain.models import Unit
from engine import clock
from web import phase_filter, reports
from web.access import ALL_UNITS, roles_required
from web.extensions import db
from web.i18n import short_locale
from web.params import page_arg

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
DASHBOARD_ROLES = ("supervisor", "office_leader", "administrator")
PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GRADE_COLOURS = {"red": "#c0392b", "orange": "#e67e22", "yellow": "#f1c40f", "green": "#27ae60"}
BUCKET_COLOURS = {"open": "#2c7be5", "accepted": "#27ae60", "overdue": "#c0392b"}

dashboard_roles = roles_required(*DASHBOARD_ROLES)


def t(text: str, **variables) -> str:
    """This area's strings: English msgids with the context `dashboard`, so they never clash
    with other areas' translations of the same English words."""
    return pgettext("dashboard", text, **variables)


def money(amount) -> str:
    return f"{int(amount or 0):,}"


def percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def safe_url(endpoint: str, **values) -> str | None:
    """A link to another area's page, or None if that page does not exist (yet)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.context_processor
def _helpers():
    return {"t": t, "money": money, "percent": percent, "safe_url": safe_url}


# -- scope ------------------------------------------------------------------------

def _unit_choices() -> list[Unit]:
    """Active units the user may pick: all of them, or the visible ones."""
    query = select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)
    visible = current_user.visible_units()
    if visible is not ALL_UNITS:
        query = query.where(Unit.code.in_(sorted(visible)))
    return list(db.session.scalars(query))


def _chosen_unit() -> str | None:
    """The `unit` argument: None for all; 404 if no such unit, 403 if not the user's to see."""
    code = (request.args.get("unit") or "").strip()
    if not code:
        return None
    if db.session.scalar(select(Unit.id).where(Unit.code == code)) is None:
        abort(404)
    if not current_user.can_see_unit(code):
        abort(403)
    return code


def _scope(unit: str | None) -> reports.Scope:
    return reports.Scope.of(current_user.visible_units(), unit)


def _names() -> dict[str, str]:
    return reports.unit_names(db.session, short_locale())


def _scope_name(unit: str | None, names: dict[str, str]) -> str:
    if unit:
        return names.get(unit, unit)
    return t("All units") if current_user.visible_units() is ALL_UNITS else t("All my units")


def _unit_order(codes) -> list[str]:
    """Unit codes in the directory's order; unknown codes (e.g. `none`) last."""
    order = {unit.code: index for index, unit in enumerate(db.session.scalars(select(Unit).order_by(Unit.id)))}
    return sorted(set(codes), key=lambda code: (order.get(code, len(order)), code))


# -- the dashboard -------------------------------------------------------------------

class Links:
    """Drill-down URLs of one dashboard view (same period and unit)."""

    def __init__(self, period: reports.Period, unit: str | None):
        self.args = {**period.args(), **({"unit": unit} if unit else {})}

    def __call__(self, figure: str, key: str | None = None, **extra) -> str:
        return url_for("dashboard.drill", figure=figure, **({"key": key} if key else {}), **self.args, **extra)


def _chart_data(f: reports.Figures, link: Links, names: dict[str, str], unit_codes: list[str]) -> dict:
    locale = short_locale()

    def label(kind, key):
        return reports.key_label(kind, key, names, locale)

    def bars(figure, keys, counts):
        return [{"value": counts.get(key, 0), "url": link(figure, key)} for key in keys]

    channels = list(CHANNELS)
    measures = list(MEASURES)
    return {
        "channel": {
            "categories": [label("channel", c) for c in channels],
            "series": [{"name": t("Received"), "data": bars("received_channel", channels,
                                                              f.received_by_channel)},
                       {"name": t("Closed"), "data": bars("closed_channel", channels,
                                                            f.closed_by_channel)}]},
        "unit": {
            "categories": [label("unit", c) for c in unit_codes],
            "series": [{"name": t("Received"), "data": bars("received_unit", unit_codes, f.received_by_unit)},
                       {"name": t("Closed"), "data": bars("closed_unit", unit_codes, f.closed_by_unit)}]},
        "overdue": {
            "categories": [label("unit", c) for c in unit_codes],
            "series": [{"name": t("Overdue now"), "colour": "#c0392b",
                        "data": bars("overdue_unit", unit_codes, f.overdue_by_unit)}]},
        "ontime": {"rate": None if f.on_time_rate is None else round(f.on_time_rate * 100, 1),
                   "name": t("On-time rate"), "url": link("on_time"),
                   "detail": t("%(on_time)s of %(completed)s on time", on_time=f.on_time, completed=f.completed)},
        "grades": {"items": [{"name": label("grade", g), "value": f.grades.get(g, 0), "url": link("grade", g),
                              "colour": GRADE_COLOURS[g]} for g in GRADES]},
        "disposals": {
            "categories": [label("measure", m) for m in measures],
            "series": [{"name": t("Disposals"), "colour": "#8e44ad",
                        "data": bars("disposal_measure", measures, f.disposals_by_measure)}]},
        "rectification": {"items": [{"name": label("rectification", b), "value": f.rectification.get(b, 0),
                                     "url": link("rectification_status", b), "colour": BUCKET_COLOURS[b]}
                                    for b in reports.RECTIFICATION_BUCKETS]},
        "recovered": {
            "categories": [label("unit", c) for c in unit_codes],
            "series": [{"name": t("Losses recovered (yuan)"), "colour": "#16a085",
                        "data": bars("recovered_unit", unit_codes, f.recovered_by_unit)}]},
    }


@bp.get("/")
@dashboard_roles
def index():
    now = clock.now()
    unit = _chosen_unit()
    try:
        phase = phase_filter.chosen_phase(request.args)
    except phase_filter.UnknownPhase:
        return phase_filter.unknown_phase_page()
    period = phase_filter.period_of(phase) if phase else reports.parse_period(request.args, now)
    figures = reports.compute(db.session, _scope(unit), period, now)
    choices = _unit_choices()
    names = _names()
    shown = [unit] if unit else [u.code for u in choices]
    unit_codes = _unit_order(set(shown) | set(figures.units()))
    link = Links(period, unit)
    scope = _scope(unit)
    pub = reports.publicity_figures(db.session, scope, period)
    # 机构排查: the same SQL as the monthly return's (domain.inspections.return_figures)
    inspected = inspection_figures(db.session, scope.units, period.first, period.last)
    return render_template(
        "dashboard/index.html", f=figures, period=period, unit=unit, choices=choices, names=names,
        strike=_strike_figures(unit, period), pub=pub, pub_rows=_publicity_rows(pub, names),
        pub_figures=publicity.RETURN_FIGURES, pub_t=publicity_t, pub_phases=_publicity_by_phase(scope, period, unit),
        inspections=inspected,
        inspection_units=_unit_order(inspected.units()), sectors=SECTORS,
        unit_codes=unit_codes, link=link, charts=_chart_data(figures, link, names, unit_codes),
        channels=CHANNELS, measures=MEASURES, grades=GRADES, buckets=reports.RECTIFICATION_BUCKETS,
        grade_colours=GRADE_COLOURS, locale=short_locale(), key_label=reports.key_label,
        report_month=period.last.strftime("%Y-%m"), phase=phase, phase_choices=phase_filter.choices(),
        current_phase=phase_filter.current_phase_text())


def _strike_figures(unit: str | None, period: reports.Period) -> dict | None:
    """依法打击 figures (domain.strike, the monthly return's SQL) for those who may see them."""
    from domain import strike
    from web.strike import sees_details
    if not sees_details():
        return None
    scope = _scope(unit)
    units = None if scope.everything else set(scope.units)
    return {"rows": strike.RETURN_FIGURES,
            "values": strike.return_figures(db.session, units, period.first, period.last),
            "list_args": {**period.args(), **({"unit": unit} if unit else {})}}


def _publicity_rows(pub: reports.PublicityFigures, names: dict[str, str]) -> dict[str, list]:
    """(code, name, figures) rows of the publicity breakdowns, in the directory's and the forms' order."""
    locale = short_locale()
    elsewhere = publicity_t("Elsewhere")
    return {
        "unit": [(code, names.get(code, code), pub.by_unit[code]) for code in _unit_order(pub.by_unit)],
        "community": [(code, elsewhere if code == publicity.ELSEWHERE else names.get(code, code),
                       pub.by_community[code]) for code in _unit_order(pub.by_community)],
        "form": [(code, reports.label("publicity_form", code, locale), pub.by_form[code])
                 for code in PUBLICITY_FORMS if code in pub.by_form],
    }


def _publicity_by_phase(scope: reports.Scope, period: reports.Period, unit: str | None) -> list[dict]:
    """Publicity of each campaign phase within the period (宣传发动, 打击整治 …): the same figures
    (domain.publicity.return_figures) over the days the phase and the period share."""
    rows = []
    for phase in campaign.phases(db.session):
        first, last = max(phase.first_day, period.first), min(phase.last_day, period.last)
        if first > last:
            continue
        shared = reports.Period(first, last)
        rows.append({"phase": phase, "label": reports.label("phase_kind", phase.kind, short_locale()),
                     "first": first, "last": last,
                     "figures": publicity.return_figures(db.session, scope.units, first, last),
                     "link": url_for("publicity.index", **shared.args(), **({"unit": unit} if unit else {}))})
    return rows


def publicity_t(text: str, **variables) -> str:
    from web.publicity import t as translate
    return translate(text, **variables)


def _key_labeller(names):
    locale = short_locale()
    return lambda kind, key: reports.key_label(kind, key, names, locale)


# -- drill-down -----------------------------------------------------------------------

@bp.get("/list")
@dashboard_roles
def drill():
    figure = reports.FIGURES.get(request.args.get("figure") or "")
    if figure is None:
        abort(404)
    now = clock.now()
    unit = _chosen_unit()
    period = reports.parse_period(request.args, now)
    scope = _scope(unit)
    key = (request.args.get("key") or "").strip() or None
    count = reports.total(db.session, figure.name, scope, period, now, key)
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(page_arg(), pages)
    rows = reports.records(db.session, figure.name, scope, period, now, key, limit=PAGE_SIZE,
                           offset=(page - 1) * PAGE_SIZE)
    names = _names()
    model = figure.model.__name__
    context = {}
    if model == "HumanTask":
        context["task_units"] = reports.task_units_of(db.session, [r.id for r in rows], scope)
        context["business_keys"] = reports.business_keys(db.session, [r.instance_id for r in rows])
        context["people"] = reports.display_names(db.session, [r.assignee or r.completed_by for r in rows],
                                                  short_locale())
    elif model == "Subject":
        context["assessments"] = reports.latest_assessment_of(db.session, [r.id for r in rows])
    elif model == "Disposal":
        context["people"] = reports.display_names(db.session, [r.officer for r in rows], short_locale())
    elif model == "RiskAssessment":
        context["people"] = reports.display_names(db.session, [r.assessed_by for r in rows], short_locale())
    amount = None
    if figure.amount and figure.name == "recovered_unit":
        sums = reports.sum_by(db.session, figure.name, scope, period, now)
        amount = sums.get(key, 0) if key else sum(sums.values())
    key_name = reports.key_label(figure.key_kind, key, names, short_locale()) if key else t("All")
    link = Links(period, unit)
    return render_template(
        "dashboard/list.html", figure=figure, model=model, key=key, key_name=key_name, rows=rows, count=count,
        page=page, pages=pages, period=period, unit=unit, names=names, now=now, amount=amount,
        args=request.args.to_dict(), title=t(figure.title), back=url_for("dashboard.index", **link.args),
        bucket=reports.rectification_bucket, key_label_for=_key_labeller(names), **context)


# -- the monthly report ----------------------------------------------------------------

def _report_args():
    """now, unit, period and the chosen phase (None: a month). A phase's dates win over `month`."""
    now = clock.now()
    unit = _chosen_unit()
    phase = phase_filter.chosen_phase(request.args)
    if phase is not None:
        return now, unit, phase_filter.period_of(phase), phase
    month = request.args.get("month")
    period = reports.Period.parse_month(month) if month else None
    if month and period is None:
        abort(400)
    if period is None:
        today = now.astimezone(reports.BEIJING).date()
        period = reports.Period.month(today.year, today.month)
    return now, unit, period, None


@bp.get("/reports")
@dashboard_roles
def report():
    try:
        now, unit, period, phase = _report_args()
    except phase_filter.UnknownPhase:
        return phase_filter.unknown_phase_page()
    data = reports.monthly_report(db.session, _scope(unit), period, now, unit, short_locale())
    names = _names()
    if phase is not None:
        title = t("Report of the phase %(phase)s · %(who)s", phase=phase_filter.choice_label(phase),
                  who=_scope_name(unit, names))
    else:
        title = t("Monthly report %(month)s · %(who)s", month=period.month_text, who=_scope_name(unit, names))
    return render_template(
        "dashboard/report.html", report=data, f=data.figures, period=period, unit=unit, choices=_unit_choices(),
        names=names, link=Links(period, unit), channels=CHANNELS, measures=MEASURES,
        unit_codes=_unit_order(data.figures.units()), key_label=reports.key_label, locale=short_locale(),
        bucket=reports.rectification_bucket, key_label_for=_key_labeller(names), title=title, phase=phase,
        phase_choices=phase_filter.choices())


@bp.get("/reports.xlsx")
@dashboard_roles
def report_xlsx():
    try:
        now, unit, period, phase = _report_args()
    except phase_filter.UnknownPhase:
        return phase_filter.unknown_phase_page()
    data = reports.monthly_report(db.session, _scope(unit), period, now, unit)
    content = reports.report_workbook(data, reports.unit_names(db.session, "zh"))
    when = f"phase-{period.first.isoformat()}-{period.last.isoformat()}" if phase else period.month_text
    name = f"monthly-report-{when}-{unit or 'all'}.xlsx"
    return _xlsx(content, name)


# -- the risk ledger --------------------------------------------------------------------

@bp.get("/ledger.xlsx")
@dashboard_roles
def ledger_xlsx():
    now = clock.now()
    unit = _chosen_unit()
    rows = reports.risk_ledger(db.session, _scope(unit), now)
    content = reports.ledger_workbook(rows, reports.unit_names(db.session, "zh"), now)
    stamp = now.astimezone(reports.BEIJING).strftime("%Y%m%d")
    return _xlsx(content, f"risk-ledger-{stamp}{'-' + unit if unit else ''}.xlsx")


def _xlsx(content: bytes, filename: str):
    response = send_file(BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=filename,
                         max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
