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


# -- the print page and the Word document (with the other 公文) ------------------------------------

def print_values(session, s: Summary, now: datetime) -> dict:
    """What the print template (processes/documents/monthly_return.html) and the .docx show."""
    units = s.units
    sections = []
    for section in returns.SECTIONS:
        rows = []
        for key, zh, _en in section.rows:
            full = f"{section.key}.{key}"
            rows.append({"label": zh, "total": s.total.get(full, 0),
                         "figures": [s.by_unit[u.code].get(full, 0) if u.code in s.by_unit else NOT_REPORTED
                                    for u in units]})
        sections.append({"name": section.zh, "rows": rows})
    return {"title": summary_title(session, s.month), "office": office_name(session),
            "filled_date": chinese_date(now.astimezone(BEIJING).date()), "units": [u.name_zh for u in units],
            "sections": sections, "missing": "、".join(u.name_zh for u in s.missing) or "无"}


def summary_html(directory, values: dict) -> str:
    from domain.documents.render import render_html
    return render_html(directory, "monthly_return", values)


def summary_docx(values: dict) -> bytes:
    """The same table as a Word document: A4 landscape, 仿宋 body, the title in 小标宋."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    def fonts(run, east_asia, size):
        run.font.name = east_asia
        run.font.size = Pt(size)
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(12)
    section.top_margin = section.bottom_margin = Mm(15)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fonts(title.add_run(values["title"]), "方正小标宋简体", 18)
    meta = doc.add_paragraph()
    fonts(meta.add_run(f"填报单位：{values['office']}    填报日期：{values['filled_date']}"), "仿宋", 12)
    columns = 2 + len(values["units"]) + 1
    rows = 1 + sum(len(s["rows"]) for s in values["sections"])
    table = doc.add_table(rows=rows, cols=columns)
    table.style = "Table Grid"

    def put(row, column, text, size=9):
        cell = table.cell(row, column)
        cell.text = ""
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if column != 1 else WD_ALIGN_PARAGRAPH.LEFT
        fonts(paragraph.add_run(str(text)), "仿宋", size)

    header = table.cell(0, 0).merge(table.cell(0, 1))
    header.text = ""
    fonts(header.paragraphs[0].add_run("项目"), "黑体", 9)
    for index, name in enumerate(values["units"]):
        put(0, 2 + index, name)
    put(0, columns - 1, "合计")
    row = 1
    for group in values["sections"]:
        first = row
        for line in group["rows"]:
            put(row, 1, line["label"])
            for index, value in enumerate(line["figures"]):
                put(row, 2 + index, value)
            put(row, columns - 1, line["total"])
            row += 1
        merged = table.cell(first, 0).merge(table.cell(row - 1, 0)) if row - 1 > first else table.cell(first, 0)
        merged.text = ""
        fonts(merged.paragraphs[0].add_run(group["name"]), "黑体", 9)
    missing = doc.add_paragraph()
    fonts(missing.add_run(f"未报单位：{values['missing']}"), "仿宋", 12)
    doc.core_properties.title = values["title"]
    doc.core_properties.author = values["office"]
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
