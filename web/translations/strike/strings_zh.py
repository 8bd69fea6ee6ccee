"""Chinese strings of the strike area (msgctxt "strike", see web.strike.t): the criminal cases'
pages, their section on the lead and institution pages and the dashboard's strike figures.

    .venv/bin/python web/translations/make_catalog.py strike web/translations/strike/strings_zh.py
"""
CONTEXT = "strike"

ZH = {
    # navigation and the list
    "Criminal cases": "刑事案件",
    "All criminal cases": "全部刑事案件",
    "Record a case": "登记案件",
    "Record a criminal case": "登记涉养老诈骗刑事案件",
    "Download Excel": "导出Excel",
    "Filter": "筛选",
    "Filed from": "立案日期自",
    "Filed to": "立案日期至",
    "to": "至",
    "Any stage": "全部阶段",
    "Any charge": "全部罪名",
    "Any unit": "全部办案单位",
    "Gangs": "团伙（个）",
    "Suspects": "嫌疑人（人）",
    "Frozen (yuan)": "冻结资金（元）",
    "Recovered (yuan)": "追赃挽损（元）",
    "Leads": "关联线索",
    "No criminal case matches.": "没有符合条件的刑事案件。",
    "In this list: %(gangs)s gangs broken up, %(suspects)s suspects caught, %(frozen)s yuan frozen, "
    "%(recovered)s yuan recovered, %(returned)s yuan returned to victims.":
        "列表合计：打掉团伙%(gangs)s个，抓获犯罪嫌疑人%(suspects)s人，冻结涉案资金%(frozen)s元，"
        "追赃挽损%(recovered)s元，返还受害人%(returned)s元。",
    # the form
    "Correct case %(number)s": "更正案件 %(number)s",
    "Nothing was saved: correct the fields marked below.": "未保存：请修正下列标出的内容。",
    "e.g. 晋新公（刑）立字〔2026〕12号": "如：晋新公（刑）立字〔2026〕12号",
    "— choose —": "— 请选择 —",
    "Lead numbers separated by spaces or commas; their institutions are linked too.":
        "多个线索编号以空格或逗号分隔；线索涉及的机构/企业一并关联。",
    "Save": "保存",
    "Cancel": "取消",
    "Criminal case %(number)s recorded.": "已登记刑事案件 %(number)s。",
    "Criminal case %(number)s updated.": "已更新刑事案件 %(number)s。",
    # a case and its stages
    "Correct the details": "更正案件信息",
    "Case record": "案件信息",
    "Recorded": "登记",
    "Stages": "办理阶段",
    "Next: send for prosecution": "下一步：移送审查起诉",
    "Next: judgment": "下一步：审结",
    "Record this stage": "记录该阶段",
    "The case is now: %(stage)s.": "案件当前阶段：%(stage)s。",
    # on the lead and institution pages
    "%(gangs)s gangs, %(suspects)s suspects, %(frozen)s yuan frozen, %(recovered)s yuan recovered":
        "打掉团伙%(gangs)s个，抓获嫌疑人%(suspects)s人，冻结资金%(frozen)s元，追赃挽损%(recovered)s元",
    "No criminal case linked.": "尚无关联的刑事案件。",
    "A criminal case exists:": "已有刑事案件：",
    "Its details are with the law-enforcement units and the special office.": "案件详情仅政法单位和专项办可见。",
    # the dashboard
    "Strike results (依法打击)": "依法打击",
    "Cases filed in the range": "查看本期立案案件",
    "Cases filed in the range with their gangs, suspects and money; cases sent for prosecution and judged in the range.":
        "统计期内立案的案件及其打掉团伙、抓获嫌疑人和涉案资金；统计期内移送审查起诉和审结的案件。",
}
