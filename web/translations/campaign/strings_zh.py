"""Chinese strings of the campaign area (web/campaign.py, web/phase_filter.py, templates/admin/campaign.html;
msgctxt "campaign", see web.campaign.t), and the plain msgid of the navigation link.

    .venv/bin/python web/translations/make_catalog.py campaign web/translations/campaign/strings_zh.py
"""
CONTEXT = "campaign"

# Without a context: the navigation bar's and the administration tabs' link.
PLAIN = {
    "Campaign": "专项行动",
}

ZH = {
    "Campaign": "专项行动",
    "Period": "行动期间",
    "to": "至",
    "Current phase": "当前阶段",
    "None today": "今日不在任何阶段",
    "Change the campaign": "修改专项行动",
    "Save": "保存",
    "Delete": "删除",
    "Create": "创建",
    "Phases": "行动阶段",
    "No phase yet.": "尚未设置阶段。",
    "Name (optional)": "名称（可不填）",
    "Add a phase": "添加阶段",
    "Phases lie inside the campaign's period and do not overlap. The dashboard, the monthly report and the leads list can be filtered by phase.":
        "各阶段须在专项行动期间内且互不重叠。统计分析、月报和线索列表均可按阶段筛选。",
    "No campaign is recorded yet.": "尚未登记专项行动。",
    "Record a new campaign": "登记新的专项行动",
    "Working groups of the special office": "专项办工作组",
    "Tasks of a process addressed to a working group reach its members, whatever their unit.":
        "流程中分派给工作组的任务，会送达该组全体成员的待办，无论其所在单位。",
    "Remove": "移出",
    "No members yet.": "暂无成员。",
    "Add a member": "添加成员",
    "Choose a person…": "选择人员…",
    "Add": "添加",
    "No working group yet.": "尚未设立工作组。",
    "Set up a working group": "设立工作组",
    "Nothing was saved: correct the fields marked below.": "未保存：请改正下方标出的项目。",
    "The campaign is saved.": "专项行动已保存。",
    "The phase is saved.": "阶段已保存。",
    "The phase is deleted.": "阶段已删除。",
    "The working group is saved.": "工作组已保存。",
    "The member is added.": "成员已加入。",
    "The member is removed.": "成员已移出。",
    "There is no such campaign phase; choose one from the list.": "没有这个行动阶段，请从列表中选择。",
}
