"""Builds the .docx templates of the official documents (公文) in this folder with python-docx.

    .venv/bin/python processes/documents/build_templates.py

The templates are docxtpl files: Jinja tags in the text ({{ number }}, {%p if note %} for a
paragraph, {%tr for row in chain %} for table rows). They are committed; an administrator may
replace any of them with a file edited in Word (keep the tags; the values each kind gets are
listed in domain/documents/issuing.py `document_values`). Rebuilding overwrites them.

Layout after GB/T 9704-2012 (党政机关公文格式): A4; margins top 37 mm, bottom 35 mm, left 28 mm,
right 26 mm; the issuer (发文机关标志) centred in red; the number (文号) centred under it; a red
line; the title (标题) centred in 小标宋 二号; the addressee (主送机关) flush left; the body in
仿宋 三号, first lines indented two characters, 28 pt lines; the signature (落款: issuer and the
date written 2026年12月5日) right, four characters from the edge; page numbers "— 1 —".
"""
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
BODY_FONT = "仿宋"          # 仿宋_GB2312 on older systems
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xC0, 0x00, 0x00)
BODY_SIZE = Pt(16)          # 三号
TITLE_SIZE = Pt(22)         # 二号
ISSUER_SIZE = Pt(26)
TABLE_SIZE = Pt(14)         # 四号
CHAIN_SIZE = Pt(11)
LINE = Pt(28)


def _fonts(run, east_asia: str, size=None, color=None, bold=False) -> None:
    run.font.name = LATIN_FONT
    run_properties = run._element.get_or_add_rPr()
    fonts = run_properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        run_properties.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attribute), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    if size is not None:
        run.font.size = size
    if color is not None:
        run.font.color.rgb = color
    run.font.bold = bold


def _spacing(paragraph, line=LINE, before=0, after=0) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)


def paragraph(doc, text="", *, align=None, indent=False, font=BODY_FONT, size=BODY_SIZE, color=None, bold=False,
              line=LINE, before=0, after=0, right=None):
    p = doc.add_paragraph()
    if text:
        _fonts(p.add_run(text), font, size, color, bold)
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size.pt * 2)
    if right is not None:
        p.paragraph_format.right_indent = right
    _spacing(p, line, before, after)
    return p


def tag(doc, text):
    """A paragraph holding only a docxtpl paragraph tag ({%p if … %}): replaced when rendered."""
    return paragraph(doc, text)


def red_line(doc):
    p = paragraph(doc, line=Pt(8), after=18)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "C00000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p._p.get_or_add_pPr().append(borders)
    return p


def _page_number_footer(section) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(p.add_run("— "), "宋体", Pt(14))
    run = p.add_run()
    _fonts(run, "宋体", Pt(14))
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == "PAGE":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._r.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)
    _fonts(p.add_run(" —"), "宋体", Pt(14))


def new_document(title: str):
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    _page_number_footer(section)
    doc.core_properties.title = title
    doc.core_properties.author = "督办"
    return doc


def head(doc):
    """Issuer, number, red line, title, addressee."""
    paragraph(doc, "{{ issuer_name }}", align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=ISSUER_SIZE,
              color=RED, line=Pt(36))
    paragraph(doc, "{{ number }}", align=WD_ALIGN_PARAGRAPH.CENTER, before=14, after=4)
    red_line(doc)
    paragraph(doc, "{{ title }}", align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=TITLE_SIZE, line=Pt(34),
              after=28)
    tag(doc, "{%p if recipient %}")
    paragraph(doc, "{{ recipient }}：")
    tag(doc, "{%p endif %}")


def body(doc, text):
    return paragraph(doc, text, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)


def heading(doc, text):
    return paragraph(doc, text, indent=True, font=HEADING_FONT)


def note(doc):
    tag(doc, "{%p if note %}")
    body(doc, "{{ note }}")
    tag(doc, "{%p endif %}")


def signature(doc):
    paragraph(doc)
    paragraph(doc)
    paragraph(doc, "{{ issuer_name }}", align=WD_ALIGN_PARAGRAPH.RIGHT, right=Pt(64))
    paragraph(doc, "{{ issued_date }}", align=WD_ALIGN_PARAGRAPH.RIGHT, right=Pt(64))


def _cell(cell, text, font=BODY_FONT, size=TABLE_SIZE, align=None):
    p = cell.paragraphs[0]
    if text:
        _fonts(p.add_run(text), font, size)
    if align is not None:
        p.alignment = align
    _spacing(p, line=Pt(size.pt + 8))


def sheet(doc, rows):
    """A two-column table: (label, value[, condition]); a row with a condition is kept only when
    it holds (docxtpl {%tr if %} rows around it)."""
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in rows:
        name, value, *condition = row
        if condition:
            _cell(table.add_row().cells[0], "{%tr if " + condition[0] + " %}")
        cells = table.add_row().cells
        _cell(cells[0], name, font=HEADING_FONT)
        _cell(cells[1], value)
        if condition:
            _cell(table.add_row().cells[0], "{%tr endif %}")
    for row in table.rows:
        row.cells[0].width, row.cells[1].width = Mm(32), Mm(124)
    return table


def chain_table(doc):
    """流转意见: a row per step record."""
    columns = [("序号", "{{ row.index }}", 10), ("环节", "{{ row.step }}", 22), ("办理人", "{{ row.handler }}", 18),
               ("单位", "{{ row.unit }}", 26), ("时间", "{{ row.at }}", 26), ("办理意见", "{{ row.opinion }}", 38),
               ("结果", "{{ row.outcome }}", 16)]
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, (name, _value, _width) in zip(table.rows[0].cells, columns):
        _cell(cell, name, font=HEADING_FONT, size=CHAIN_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
    _cell(table.add_row().cells[0], "{%tr for row in chain %}", size=CHAIN_SIZE)
    for cell, (_name, value, _width) in zip(table.add_row().cells, columns):
        _cell(cell, value, size=CHAIN_SIZE)
    _cell(table.add_row().cells[0], "{%tr endfor %}", size=CHAIN_SIZE)
    _cell(table.add_row().cells[0], "{%tr if not chain %}", size=CHAIN_SIZE)
    _cell(table.add_row().cells[0], "无", size=CHAIN_SIZE)
    _cell(table.add_row().cells[0], "{%tr endif %}", size=CHAIN_SIZE)
    for row in table.rows:
        for cell, (_name, _value, width) in zip(row.cells, columns):
            cell.width = Mm(width)
    return table


# -- the kinds -----------------------------------------------------------------------------------

def assignment():
    doc = new_document("线索交办单")
    head(doc)
    body(doc, "根据打击整治养老诈骗专项行动工作安排，现将下列线索交你单位核查处置。请严格落实保护举报人要求，"
              "认真核实、依法查办，并{% if deadline %}于{{ deadline }}前{% else %}在规定期限内{% endif %}"
              "将核查处置情况书面反馈{{ issuer_name }}。")
    sheet(doc, [("线索编号", "{{ lead_number }}"), ("来源渠道", "{{ channel }}"), ("受理时间", "{{ received_date }}"),
                ("涉及机构", "{{ institution or '未明确' }}"), ("整治领域", "{{ sector }}"), ("线索内容", "{{ summary }}"),
                ("承办单位", "{{ responsible_unit }}"), ("反馈期限", "{{ deadline }}前", "deadline"),
                ("督办要求", "重大线索，挂牌督办", "major"), ("交办意见", "{{ triage_opinion }}", "triage_opinion")])
    note(doc)
    signature(doc)
    return doc


def supervision_notice():
    doc = new_document("督办通知书")
    head(doc)
    body(doc, "经研究，决定对你单位承办的{{ matter }}{% if institution %}（涉及{{ institution }}）{% endif %}"
              "实行{{ level }}。请你单位高度重视，落实专人负责，加快办理进度，于{{ deadline }}前将办理进展及结果"
              "书面报送{{ issuer_name }}。逾期未报送或推进不力的，将按照专项行动督导考评有关规定予以通报、约谈，"
              "并督促限期整改。")
    sheet(doc, [("督办编号", "{{ supervision_number }}", "supervision_number"), ("督办事项", "{{ matter }}"),
                ("涉及机构", "{{ institution }}", "institution"), ("督办等级", "{{ level }}"), ("督办事由", "{{ reason }}"),
                ("报送期限", "{{ deadline }}前")])
    note(doc)
    signature(doc)
    return doc


def reminder():
    doc = new_document("催办通知")
    head(doc)
    body(doc, "你单位承办的{{ lead_number }}号线索{% if institution %}（涉及{{ institution }}）{% endif %}"
              "“{{ step }}”事项，办理期限为{{ deadline }}。截至{{ issued_date }}，"
              "{% if overdue %}该事项已超过办理期限{% if overdue_days %}{{ overdue_days }}天{% endif %}，仍未办结。"
              "{% else %}该事项尚未办结。{% endif %}请你单位抓紧办理，"
              "{% if overdue %}立即{% else %}于{{ deadline }}前{% endif %}办结并反馈{{ issuer_name }}。")
    sheet(doc, [("线索编号", "{{ lead_number }}"), ("办理环节", "{{ process }}·{{ step }}"),
                ("交办时间", "{{ task_since }}"), ("办理期限", "{{ deadline }}")])
    note(doc)
    signature(doc)
    return doc


def rectification_notice():
    doc = new_document("整改通知书")
    head(doc)
    body(doc, "根据打击整治养老诈骗专项行动工作要求，经核查，你单位存在下列问题。现责令限期整改，有关事项通知如下：")
    heading(doc, "一、存在问题")
    body(doc, "{{ problem }}")
    heading(doc, "二、整改措施")
    body(doc, "{{ measures }}")
    heading(doc, "三、整改责任")
    body(doc, "整改责任人：{{ responsible_person }}；责任单位：{{ item_unit }}。")
    heading(doc, "四、整改期限")
    body(doc, "请于{{ deadline }}前整改到位，并将整改情况及佐证材料书面报送{{ issuer_name }}。"
              "逾期未整改或整改不到位的，将依法依规严肃处理。")
    note(doc)
    signature(doc)
    paragraph(doc, "整改事项编号：{{ item_number }}　关联线索：{{ lead_number }}", size=Pt(12), line=Pt(20), before=20)
    return doc


def interview_notice():
    doc = new_document("约谈通知书")
    head(doc)
    body(doc, "根据打击整治养老诈骗专项行动工作要求，{{ issuer_name }}决定对{{ interviewee }}"
              "{% if interviewee_title %}（{{ interviewee_title }}）{% endif %}进行约谈。现将有关事项通知如下：")
    body(doc, "一、约谈对象：{{ party }}{{ interviewee }}{% if interviewee_title %}（{{ interviewee_title }}）{% endif %}")
    body(doc, "二、约谈时间：{{ interview_time }}")
    body(doc, "三、约谈地点：{{ interview_place }}")
    body(doc, "四、约谈事由：{{ interview_matter }}")
    body(doc, "请被约谈人按时参加，如实说明情况，并携带相关材料。无正当理由不得拒绝或者拖延。")
    note(doc)
    signature(doc)
    paragraph(doc, "关联线索：{{ lead_number }}", size=Pt(12), line=Pt(20), before=20)
    return doc


def closure_report():
    doc = new_document("办结报告")
    head(doc)
    body(doc, "{{ received_date }}，经{{ channel }}受理{{ lead_number }}号线索"
              "{% if institution %}（涉及{{ institution }}）{% endif %}，反映：{{ summary }}")
    body(doc, "{% if responsible_unit %}经研判，该线索交由{{ responsible_unit }}核查处置。{% endif %}"
              "{% if result %}经核查，线索反映问题{{ result }}。{% endif %}"
              "{% if recovered %}追赃挽损{{ recovered }}。{% endif %}该线索已于{{ closed_date }}办结。现将办理情况报告如下：")
    heading(doc, "一、基本情况")
    sheet(doc, [("线索编号", "{{ lead_number }}"), ("来源渠道", "{{ channel }}"), ("受理时间", "{{ received_date }}"),
                ("涉及机构", "{{ institution or '未明确' }}"), ("承办单位", "{{ responsible_unit }}", "responsible_unit"),
                ("核查结果", "{{ result }}", "result"), ("追赃挽损", "{{ recovered }}", "recovered"),
                ("办结时间", "{{ closed_date }}")])
    heading(doc, "二、流转意见")
    chain_table(doc)
    note(doc)
    body(doc, "特此报告。")
    signature(doc)
    return doc


KINDS = {"assignment": assignment, "supervision_notice": supervision_notice, "reminder": reminder,
         "rectification_notice": rectification_notice, "interview_notice": interview_notice,
         "closure_report": closure_report}


def build(directory: Path = HERE) -> list[Path]:
    written = []
    for kind, make in KINDS.items():
        path = directory / f"{kind}.docx"
        make().save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in build():
        print(written_path)
