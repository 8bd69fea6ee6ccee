"""Chinese strings of the dashboard area (msgctxt "dashboard", see web.dashboard.t).

    .venv/bin/python web/translations/make_catalog.py dashboard web/translations/dashboard/strings_zh.py

Every msgid carries the context `dashboard`, so the same English word may read differently
here than in other areas without the merged catalogs overriding each other.
"""
CONTEXT = "dashboard"

ZH = {
    # pages and controls
    "Dashboard": "统计分析",
    "Monthly report": "月报",
    "Monthly report %(month)s · %(who)s": "%(month)s 月报 · %(who)s",
    "Risk ledger (Excel)": "导出风险台账（Excel）",
    "Download Excel": "下载Excel",
    "Print": "打印",
    "Month": "月份",
    "From": "起始日期",
    "to": "至",
    "To": "截止日期",
    "Show": "查询",
    "Unit": "单位",
    "Units": "单位",
    "All": "全部",
    "All units": "全部单位",
    "All my units": "我督导的全部单位",
    "All units in view": "可查看的全部单位",
    "Dashboard for this month": "查看本月统计分析",
    "Figures": "统计数据",
    "By unit": "分单位统计",
    "Nothing here.": "暂无数据。",
    "Figures of a date range are for Beijing dates, both included; \"now\" figures are as of %(now)s.":
        "按北京时间统计，起止日期均含当天；“当前”类数据截至 %(now)s。",
    "Period %(first)s to %(last)s (Beijing time). Generated %(now)s. Units report before the 20th of each month.":
        "统计期间 %(first)s 至 %(last)s（北京时间），生成时间 %(now)s。各单位请于每月20日前报送。",
    "%(first)s to %(last)s": "%(first)s 至 %(last)s",
    "As of %(now)s": "截至 %(now)s",
    # figures
    "Leads received": "受理线索",
    "Leads closed": "办结线索",
    "Received": "受理",
    "Closed": "办结",
    "On-time rate": "按期办结率",
    "%(on_time)s of %(completed)s on time": "%(completed)s 件中按期 %(on_time)s 件",
    "tasks on time": "件按期办结",
    "Overdue now": "当前逾期",
    "Overdue now by unit": "各单位当前逾期任务",
    "Overdue tasks now": "当前逾期任务",
    "Tasks overdue in the period": "期间内逾期事项",
    "Tasks overdue in the month": "本月逾期事项",
    "Institutions at risk": "有风险隐患机构",
    "Institutions at risk (red, orange, yellow)": "有风险隐患机构（红橙黄）",
    "Institutions by risk grade": "机构风险等级",
    "Risk grades of institutions": "机构风险等级分布",
    "Disposals": "处置措施",
    "Disposals by measure": "分类处置情况",
    "Rectification items": "整改事项",
    "Losses recovered": "追赃挽损",
    "Losses recovered (yuan)": "追赃挽损金额（元）",
    "Losses recovered by unit": "各单位追赃挽损金额",
    "%(n)s closed leads": "涉及办结线索 %(n)s 条",
    "Leads by channel": "各渠道线索受理办结情况",
    "Leads by unit": "各单位线索受理办结情况",
    "Tasks completed with a due time": "有期限任务办结",
    "of which on time": "其中按期办结",
    "Tasks completed in the range with a due time: %(on_time)s on time, %(late)s late.":
        "期间内办结的有期限任务：按期 %(on_time)s 件，超期 %(late)s 件。",
    "Show the late ones": "查看超期办结任务",
    # definitions
    "Leads whose time of receipt falls in the date range, by channel and by responsible unit.":
        "接收时间在统计期间内的线索，按来源渠道和责任单位统计。",
    "Leads closed (办结) in the date range; withdrawn leads are not counted.":
        "统计期间内办结的线索（已撤销的线索不计入）。",
    "Of the tasks with a due time completed in the date range, the share completed by their due time.":
        "统计期间内办结且设有办理期限的任务中，在期限内办结的比例。",
    "Open tasks whose due time has passed, at this moment, whatever the date range.":
        "截至当前已超过办理期限仍未办结的任务（不受统计期间影响）。",
    "Institutions whose latest risk assessment before the end of the range is red, orange or yellow.":
        "截至统计期间末最近一次风险评估为红色、橙色或黄色的机构/企业。",
    "Disposal measures taken in the date range.": "统计期间内采取的分级分类处置措施。",
    "Items in play during the range (created before its end, not closed before its start) by their status now: accepted, overdue (past the deadline and not accepted) or open.":
        "统计期间内在办的整改事项（期末前建立、期初前未销号），按当前状态分为：已验收、已逾期（超过整改期限未验收）、整改中。",
    "Losses recovered (追赃挽损) reported with the leads closed in the date range.":
        "统计期间内办结线索反馈的追赃挽损金额。",
    "The grade of each institution is its latest assessment before the end of the range; the columns show its latest assessment now.":
        "风险等级按统计期间末最近一次评估确定；各列显示当前最近一次评估情况。",
    # list columns
    "Lead number": "线索编号",
    "Received at": "接收时间",
    "Closed at": "办结时间",
    "Channel": "线索来源",
    "Institution": "机构/企业",
    "Sector": "整治领域",
    "Responsible unit": "责任单位",
    "Responsible person": "责任人",
    "Status": "状态",
    "Result": "结果",
    "Task": "任务",
    "Business key": "业务编号",
    "Handler": "办理人",
    "Due": "办理期限",
    "Completed at": "办结时间",
    "Open": "办理中",
    "Open, overdue": "办理中（已逾期）",
    "On time": "按期办结",
    "Late": "超期办结",
    "Still open": "尚未办结",
    "Credit code": "统一社会信用代码",
    "Risk grade": "风险等级",
    "People involved": "涉众人数",
    "Money at risk (yuan)": "风险敞口（元）",
    "Opinion heat": "舆论热度",
    "Stability risk": "涉稳隐患",
    "Assessed at": "评估时间",
    "Disposed at": "处置时间",
    "Measure": "处置措施",
    "Officer": "经办人",
    "Note": "备注",
    "Number": "编号",
    "Problem": "问题",
    "Deadline": "整改期限",
    "Counted as": "统计口径",
    # grading by rule (the risk grading table) and grades changed from it
    # the campaign's phases (web/phase_filter.py)
    "Campaign phase": "按行动阶段",
    "Current phase: %(phase)s (%(first)s to %(last)s)": "当前阶段：%(phase)s（%(first)s至%(last)s）",
    "No campaign phase today": "今日不在专项行动阶段内",
    "Report of the phase %(phase)s · %(who)s": "阶段报表 %(phase)s · %(who)s",
    "Dashboard for this period": "本期间统计分析",
    "Grades changed from the rule": "改判等级",
    "Assessments graded by rule": "按规则评定的风险评估",
    "Graded by rule": "按规则评定",
    "Grade by rule": "按规则评定等级",
    "Rule applied": "适用规则",
    "Reason for another grade": "改判理由",
    # the figures the monthly returns (月报表) share with the dashboard
    "Leads dispatched": "分流交办线索",
    "Leads closed on time": "按期办结线索",
    "Rectification items opened": "新增整改事项",
    "Rectification items closed": "销号整改事项",
}
