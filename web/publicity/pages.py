"""The list of publicity activities with its figures, its Excel export, and one activity's page.

The list, the export and the figures above the list share one WHERE (domain.publicity.conditions):
what the figures count is what the list shows."""
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from flask import abort, render_template, request, send_file
from flask_login import login_required
from sqlalchemy import func, select

from domain import publicity, wording
from domain.labels import PUBLICITY_FORMS, label
from domain.models import PublicityActivity, PublicityPhoto, Unit
from engine import clock
from web.extensions import db
from web.i18n import short_locale
from web.params import date_arg, page_arg
from web.publicity import bp
from web.publicity.access import communities, visible_activity_or_404, who
from web.reports import BEIJING, _save, _sheet, as_beijing, unit_names

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Filters:
    first: date | None
    last: date | None
    unit: str | None
    community: str | None
    form: str | None

    def args(self) -> dict:
        values = {"from": self.first.isoformat() if self.first else None,
                  "to": self.last.isoformat() if self.last else None,
                  "unit": self.unit, "community": self.community, "form": self.form}
        return {key: value for key, value in values.items() if value}


def unit_choices() -> list[Unit]:
    """The units whose activities the user may pick: all of them, or their own."""
    me = who()
    query = select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)
    if not me.sees_all:
        query = query.where(Unit.code == (me.unit or ""))
    return list(db.session.scalars(query))


def parse_filters() -> Filters:
    """from/to (ISO dates, 400 if not dates), unit (404 unknown, 403 not the user's to see),
    community (a community unit or `elsewhere`) and form (400 if neither)."""
    first, last = date_arg("from"), date_arg("to")
    if first and last and first > last:
        first, last = last, first
    unit = (request.args.get("unit") or "").strip() or None
    if unit:
        if db.session.scalar(select(Unit.id).where(Unit.code == unit)) is None:
            abort(404)
        me = who()
        if not me.sees_all and unit != me.unit:
            abort(403)
    community = (request.args.get("community") or "").strip() or None
    if community and community != publicity.ELSEWHERE and community not in {u.code for u in communities()}:
        abort(400)
    form = (request.args.get("form") or "").strip() or None
    if form and form not in PUBLICITY_FORMS:
        abort(400)
    return Filters(first, last, unit, community, form)


def where(filters: Filters) -> list:
    return publicity.conditions(None, filters.first, filters.last, unit=filters.unit, community=filters.community,
                                form=filters.form, visible=publicity.visible_clause(who()))


def photo_counts(ids) -> dict[int, int]:
    if not ids:
        return {}
    return dict(db.session.execute(select(PublicityPhoto.activity_id, func.count(PublicityPhoto.id))
                                   .where(PublicityPhoto.activity_id.in_(sorted(ids)))
                                   .group_by(PublicityPhoto.activity_id)).all())


ORDER = (PublicityActivity.held_on.desc(), PublicityActivity.id.desc())


@bp.get("/")
@login_required
def index():
    filters = parse_filters()
    conditions = where(filters)
    figures = publicity.figures_by(db.session, None, conditions)
    total = figures["activities"]
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page_arg(), pages)
    rows = list(db.session.scalars(select(PublicityActivity).where(*conditions).order_by(*ORDER)
                                   .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    locale = short_locale()
    me = who()
    return render_template(
        "publicity/list.html", rows=rows, figures=figures, filters=filters, args=filters.args(), page=page,
        pages=pages, total=total, names=unit_names(db.session, locale), units=unit_choices(),
        communities=communities(), forms=PUBLICITY_FORMS, photo_counts=photo_counts([r.id for r in rows]),
        figure_names=[(key, zh if locale == "zh" else en) for key, zh, en in publicity.RETURN_FIGURES],
        may_record=me.may_record, sees_all=me.sees_all, item_label=publicity.item_label, locale=locale)


@bp.get("/<int:activity_id>")
@login_required
def show(activity_id):
    activity = visible_activity_or_404(activity_id)
    locale = short_locale()
    people = wording.person_labels(db.session, [activity.recorded_by, activity.updated_by], locale)
    return render_template("publicity/show.html", activity=activity, names=unit_names(db.session, locale),
                           people=people, may_change=publicity.can_change(who(), activity, clock.now()),
                           item_label=publicity.item_label(activity.form, locale))


# -- Excel ---------------------------------------------------------------------------------------------

HEADERS = ["序号", "活动日期", "记录单位", "社区/村", "活动地点", "宣传形式", "活动名称", "活动情况", "受众（人次）",
           "发放资料（份）", "数量", "数量单位", "照片（张）", "记录人", "记录时间"]
EXPORT_LIMIT = 20_000


def workbook(rows, figures, by_unit, by_community, by_form, names, people, photos, filters, now) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    sheet = book.active
    sheet.title = "统计"
    period = "全部日期" if not (filters.first or filters.last) else \
        f"{filters.first.isoformat() if filters.first else '…'} 至 {filters.last.isoformat() if filters.last else '…'}"
    sheet.append(["宣传发动统计", period])
    sheet.append([])
    headers = ["", *(zh for _key, zh, _en in publicity.RETURN_FIGURES)]

    def table(title, breakdown, name_of):
        sheet.append([title, *headers[1:]])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for key, values in breakdown:
            sheet.append([name_of(key), *(values.get(k, 0) for k in publicity.FIGURE_KEYS)])
        sheet.append([])

    table("合计", [("total", figures)], lambda _key: "合计")
    table("按单位", sorted(by_unit.items(), key=lambda kv: names.get(kv[0], kv[0])), lambda k: names.get(k, k))
    table("按社区/村", sorted(by_community.items()),
          lambda k: "其他地点" if k == publicity.ELSEWHERE else names.get(k, k))
    table("按宣传形式", [(f, by_form[f]) for f in PUBLICITY_FORMS if f in by_form],
          lambda k: label("publicity_form", k))
    sheet.append(["导出时间", as_beijing(now)])
    sheet.column_dimensions["A"].width = 26
    for letter in "BCDEFG":
        sheet.column_dimensions[letter].width = 20

    _sheet(book, "宣传活动", HEADERS, [[
        row.held_on, names.get(row.unit, row.unit), names.get(row.community, "") if row.community else "",
        row.place, label("publicity_form", row.form), row.title, row.description, row.audience, row.materials,
        row.items if publicity.item_label(row.form) else "", publicity.item_label(row.form) or "",
        photos.get(row.id, 0), people.get(row.recorded_by, row.recorded_by), as_beijing(row.recorded_at)]
        for row in rows], widths=[6, 12, 22, 14, 24, 14, 30, 50, 12, 14, 10, 20, 10, 26, 18])
    dated = book["宣传活动"]
    for cells in dated.iter_rows(min_row=2, min_col=2, max_col=2):
        for cell in cells:
            cell.number_format = "yyyy-mm-dd"
    return _save(book)


@bp.get("/export.xlsx")
@login_required
def export():
    filters = parse_filters()
    conditions = where(filters)
    rows = list(db.session.scalars(select(PublicityActivity).where(*conditions).order_by(*ORDER)
                                   .limit(EXPORT_LIMIT)))
    now = clock.now()
    names = unit_names(db.session, "zh")
    content = workbook(
        rows, publicity.figures_by(db.session, None, conditions), publicity.figures_by(db.session, "unit", conditions),
        publicity.figures_by(db.session, "community", conditions), publicity.figures_by(db.session, "form", conditions),
        names, wording.person_labels(db.session, [r.recorded_by for r in rows], "zh"),
        photo_counts([r.id for r in rows]), filters, now)
    stamp = now.astimezone(BEIJING).strftime("%Y%m%d")
    response = send_file(BytesIO(content), mimetype=XLSX, as_attachment=True, max_age=0,
                         download_name=f"publicity-{stamp}{'-' + filters.unit if filters.unit else ''}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response
