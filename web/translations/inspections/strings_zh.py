"""Chinese strings of the inspections area (机构排查; msgctxt "inspections").

    .venv/bin/python web/translations/make_catalog.py inspections web/translations/inspections/strings_zh.py

Every msgid carries the context `inspections` (pgettext("inspections", ...)), so the same English
words may read differently here than in other areas without the merged catalogs overriding each other.
"""
CONTEXT = "inspections"

ZH = {
    # the list and the navigation
    "Inspections": "机构排查",
    "Record an inspection": "登记排查",
    "From": "起始日期",
    "To": "截止日期",
    "All units": "全部单位",
    "Any finding": "全部结论",
    "Graded disposal": "风险研判处置",
    "%(n)s points with problems": "%(n)s项有问题",
    "Started": "已启动",
    "Not started": "未启动",
    # recording
    "The inspection was not recorded: correct the fields marked below.": "排查未登记：请修正下方标出的内容。",
    "An institution not yet registered": "尚未登记的机构/企业",
    "An institution not yet registered is added to the register with its name and credit code.":
        "尚未登记的机构/企业，填写名称和统一社会信用代码后将同时登记入库。",
    "— the institution's sector —": "— 按机构/企业所属领域 —",
    "Choose the institution or the sector: its checklist appears here.": "请选择机构/企业或整治领域，此处将显示相应的排查项目。",
    "Risk point": "风险点",
    "Problem found": "发现问题",
    "Note": "情况说明",
    "Record the inspection": "登记排查",
    "Inspection recorded.": "排查已登记。",
    # an inspection
    "Inspection": "机构排查",
    "All inspections": "全部排查",
    "Inspection record": "排查信息",
    "Recorded": "登记",
    "Graded disposal (分级处置) was started for this risk.": "已针对该风险启动分级处置。",
    "The institution's case": "查看机构/企业案卷",
    "No open step: the disposal has ended.": "没有待办环节：处置已结束。",
    "Start graded disposal of this institution: the inspecting unit assesses its risk (红橙黄绿) and takes measures "
    "by severity.": "对该机构启动分级分类处置：由排查单位研判评估风险等级（红橙黄绿），按问题性质采取处置措施。",
    "Start risk assessment and disposal": "启动风险研判处置",
    "Graded disposal has not been started.": "尚未启动风险研判处置。",
    "Result": "排查结果",
    "No problem": "无问题",
    "disposal started": "已启动处置",
    "Graded disposal was already started for this inspection.": "该排查已启动风险研判处置，不能重复启动。",
    "No risk was found in this inspection: there is nothing to dispose of.": "该排查未发现风险，无需启动处置。",
    "Graded disposal started: its risk assessment is in the inspecting unit's inbox.":
        "已启动风险研判处置，风险研判评估已进入排查单位的待办。",
    "A sector's checklist cannot be used: %(fault)s": "整治领域的排查项目文件有误，无法使用：%(fault)s",
    # the dashboard
    "Inspections of institutions": "机构排查",
    "Institutions inspected": "排查机构（家）",
    "Institutions with risks found": "发现风险隐患机构（家）",
    "With risks found": "发现风险隐患",
    "No inspection in this range.": "该期间没有排查记录。",
    "Inspections dated in the range by the inspecting unit; an institution inspected several times counts once "
    "(once per unit in the by-unit table).": "按排查日期统计；同一机构多次排查只计一次（按单位统计时每个排查单位各计一次）。",
}
