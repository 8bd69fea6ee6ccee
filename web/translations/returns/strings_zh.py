"""Chinese strings of the monthly returns area (msgctxt "returns", see web.returns.t).

    .venv/bin/python web/translations/make_catalog.py returns web/translations/returns/strings_zh.py
"""
CONTEXT = "returns"

ZH = {
    "Monthly returns": "月报表",
    "Monthly return · %(unit)s · %(month)s": "月报表 · %(unit)s · %(month)s",
    "This return was submitted and can no longer be changed.": "该月报表已报送，不能再修改。",
    "The return was submitted.": "月报表已报送。",
    "The return was saved.": "月报表已保存。",
    "The return was sent back to the unit for correction.": "月报表已退回单位修改。",
    "Each member unit and community reports the figures of a month by the 20th of the following month. "
    "Duban fills in what its records show; the unit checks them, adds what only it knows and submits.":
        "各成员单位、社区于每月20日前报送上月工作情况统计表。系统根据办理记录预填数字，单位核对、补充后报送。",
    "This month so far": "本月月报表（截至今日）",
    "Office return by month": "专项办汇总表（按月）",
    "Month": "月份",
    "Unit": "单位",
    "Status": "状态",
    "Due": "报送期限",
    "Submitted": "报送时间",
    "Late": "已逾期",
    "No returns yet.": "暂无月报表。",
    "Due by %(due)s.": "请于 %(due)s 前报送。",
    "Submitted %(when)s.": "已于 %(when)s 报送。",
    "Prefilled figures count the records of the unit dated in the month (Beijing dates); they equal the "
    "dashboard's for the same unit and month.":
        "预填数字按北京时间统计本单位当月的办理记录，与统计分析中同一单位、同一月份的数字一致。",
    "They were frozen when the return was submitted.": "报送时数字已固定。",
    "Returned for correction:": "退回修改：",
    "The task in the inbox": "待办任务",
    "The return was not saved: correct the fields marked below.": "月报表未保存：请修改下方标出的内容。",
    "(filled in by the unit)": "（由单位填写）",
    "Item": "项目",
    "Duban's figure": "系统统计数",
    "Reported": "报送数",
    "Note on a correction": "更正说明",
    "To correct a figure, enter the right number under “Reported” and say why; leave it empty to report "
    "Duban's figure.": "如需更正统计数，请在“报送数”中填写正确数字并说明理由；不填则按系统统计数报送。",
    "Work this month": "本月工作情况",
    "Progress": "工作进展",
    "Measures taken": "主要措施",
    "Difficulties": "存在困难和问题",
    "Next steps": "下一步计划",
    "Save draft": "保存草稿",
    "Submit the return": "报送月报表",
    "Return for correction: reason": "退回修改理由",
    "Return to the unit": "退回单位修改",
    "Office return for this month": "查看本月汇总表",
    "Download Excel": "下载Excel",
    "Print": "打印",
    "Download Word": "下载Word",
    "The sum of the returns the units have submitted for %(month)s: %(done)s of %(all)s units.":
        "%(month)s各单位已报送月报表汇总：已报 %(done)s 个单位，共 %(all)s 个单位。",
    "Units not reported:": "未报单位：",
    "none": "无",
    "Total": "合计",
    "Not reported": "未报",
    "A month's return can be submitted once the month has ended.": "月份结束后才能报送该月月报表。",
}
