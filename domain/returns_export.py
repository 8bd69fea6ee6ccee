"""The office's monthly return as a workbook it can forward upward (openpyxl).

Layout (one sheet, A4 landscape, fitted to the page width):

    row 1   XX街道打击整治养老诈骗专项行动工作情况统计表（2026年5月）        (merged across)
    row 2   填报单位：XX街道专项办                         填报日期：2026年6月21日
    row 3   项目 (two merged columns) | unit | unit | ... | 合计
    rows    one group per section: the section's name merged down its rows, then each row
    last    未报单位：...

Units are the reporting units in the directory's order; a unit that has not submitted shows
「未报」 in its column and counts nothing in 合计.
"""
from datetime import date, datetime
from io import BytesIO

from sqlalchemy import select

from domain.figures import BEIJING
from domain.models import Unit
from domain import returns
from domain.returns import Summary, month_label, month_period

NOT_REPORTED = "未报"


def office_name(session) -> str:
    return session.scalar(select(Unit.name_zh).where(Unit.kind == "office").order_by(Unit.id).limit(1)) or ""


def place_name(session) -> str:
    """新塘街道专项办 -> 新塘街道 (the title names the place, not the office)."""
    name = office_name(session)
    for suffix in ("专项办", "专项行动办公室", "办公室"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def summary_title(session, month: str, locale: str = "zh") -> str:
    if locale == "en":
        return f"Campaign against elder-care fraud: work statistics ({month_label(month, 'en')})"
    return f"{place_name(session)}打击整治养老诈骗专项行动工作情况统计表（{month_label(month)}）"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def summary_workbook(session, s: Summary, now: datetime) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    month_period(s.month)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "统计表"
    units = s.units
    last_column = 2 + len(units) + 1
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    sheet.cell(1, 1, summary_title(session, s.month))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_column)
    sheet.cell(1, 1).font = Font(name="宋体", size=16, bold=True)
    sheet.cell(1, 1).alignment = centre
    sheet.row_dimensions[1].height = 32

    half = max(2, last_column // 2)
    sheet.cell(2, 1, f"填报单位：{office_name(session)}")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=half)
    sheet.cell(2, half + 1, f"填报日期：{chinese_date(now.astimezone(BEIJING).date())}")
    sheet.merge_cells(start_row=2, start_column=half + 1, end_row=2, end_column=last_column)
    sheet.cell(2, half + 1).alignment = Alignment(horizontal="right")

    header = 3
    sheet.cell(header, 1, "项目")
    sheet.merge_cells(start_row=header, start_column=1, end_row=header, end_column=2)
    for index, unit in enumerate(units):
        sheet.cell(header, 3 + index, unit.name_zh)
    sheet.cell(header, last_column, "合计")
    sheet.row_dimensions[header].height = 48

    row = header + 1
    for section in returns.SECTIONS:  # read now: sections registered later count too
        first = row
        for key, zh, _en in section.rows:
            full = f"{section.key}.{key}"
            sheet.cell(row, 2, zh)
            for index, unit in enumerate(units):
                values = s.by_unit.get(unit.code)
                sheet.cell(row, 3 + index, values.get(full, 0) if values is not None else NOT_REPORTED)
            sheet.cell(row, last_column, s.total.get(full, 0))
            row += 1
        sheet.cell(first, 1, section.zh)
        if row - 1 > first:
            sheet.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)

    for line in sheet.iter_rows(min_row=header, max_row=row - 1, max_col=last_column):
        for cell in line:
            cell.border = border
            cell.alignment = centre if cell.column != 2 else Alignment(vertical="center", wrap_text=True)
            if cell.row == header:
                cell.font = Font(bold=True)
    missing = "、".join(unit.name_zh for unit in s.missing) or "无"
    sheet.cell(row + 1, 1, f"未报单位：{missing}")
    sheet.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=last_column)
    sheet.cell(row + 1, 1).alignment = Alignment(wrap_text=True, vertical="top")

    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 28
    for column in range(3, last_column + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 10
    sheet.print_title_rows = f"{header}:{header}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.freeze_panes = sheet.cell(header + 1, 3)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
