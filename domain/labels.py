"""Codes used in records, processes and forms, with their Chinese and English labels.

Code stores and BPMN files use the English codes; the UI shows `label(...)`.
Option lists in form JSON use the same shape as `options(...)` returns.
"""

SUPPORTED_LOCALES = ("zh", "en")


def zh_en(zh: str, en: str) -> dict:
    """A text in both languages, as every label table of Duban keeps it."""
    return {"zh": zh, "en": en}


_l = zh_en


UNIT_KIND = {
    "office": _l("专项办", "Special office"),
    "member_unit": _l("成员单位", "Member unit"),
    "community": _l("社区/村", "Community/village"),
}

# The unit codes of docs/process-conventions.md (BPMN candidate groups).
# Communities get their own codes (community_<name>) and are also in the
# `community` group.
UNIT = {
    "office": _l("专项办", "Special office"),
    "civil_affairs": _l("社会事务办", "Civil affairs office"),
    "market": _l("市场监督管理所", "Market regulation station"),
    "health": _l("卫健办", "Health office"),
    "land": _l("国土所", "Land resources station"),
    "urban_enforcement": _l("综合执法中队", "Urban enforcement squad"),
    "police": _l("派出所", "Police station"),
    "court": _l("法庭", "People's tribunal"),
    "procuratorate": _l("检察室", "Procuratorate office"),
    "justice": _l("司法所", "Justice office"),
    "enterprise_service": _l("企业服务中心", "Enterprise service centre"),
    "bank": _l("农商银行", "Rural commercial bank"),
    "community": _l("社区/村", "Community/village"),
}

ROLE = {
    "officer": _l("经办人员", "Officer"),
    "supervisor": _l("督导人员", "Supervisor"),
    "administrator": _l("系统管理员", "Administrator"),
    "office_leader": _l("专项办领导", "Special office leader"),
    # 网格员: community staff on patrol; they report leads and record door-to-door visits, and
    # see their own reports' status, never a unit's findings (no candidate groups of their unit).
    "grid_worker": _l("网格员", "Grid worker"),
}

CHANNEL = {
    "platform_12337": _l("12337举报平台", "12337 reporting platform"),
    "hotline_12345": _l("12345政务服务热线", "12345 government hotline"),
    "police_110": _l("110报警", "110 police report"),
    "financial_regulation": _l("金融监管部门举报", "Financial regulation report"),
    "market_regulation": _l("市场监管部门举报", "Market regulation report"),
    "grid_patrol": _l("网格员巡查", "Grid worker patrol"),
    "superior_transfer": _l("上级转办", "Transferred by superior"),
    "leader_assignment": _l("领导批办", "Assigned by a leader"),
    "department_transfer": _l("部门移交", "Transferred by a department"),
    "mass_report": _l("群众举报", "Report by the public"),
}

# The eight rectification areas (整治重点).
SECTOR = {
    "internet_traps": _l("互联网、手机APP设置“套路”诱导老年人消费投资",
                         "Internet and app traps luring elders to spend or invest"),
    "elderly_projects": _l("投资“养老项目”等养老服务领域", "Investment in 'elderly projects'"),
    "care_land": _l("违规使用养老服务设施用地变相开发房地产",
                    "Misuse of elderly-care land for property development"),
    "elderly_housing": _l("商品住房销售中以“养老”名义虚假宣传",
                          "Housing sold with false 'elderly' claims"),
    "tourism_art": _l("老年旅游、艺术品经营", "Elderly tourism and art trade"),
    "unlicensed_medical": _l("养老机构内设无资质医疗机构、无证行医",
                             "Unlicensed medical care in care homes"),
    "food_health_products": _l("涉老“食品”“保健品”涉诈和虚假宣传",
                               "Food and health products fraud and false advertising"),
    "illegal_fundraising": _l("养老领域非法集资（会员卡、预订床位、“养老地产”）",
                              "Illegal fund-raising (membership cards, pre-booked beds, 'elderly real estate')"),
}

# The member unit that usually owns a sector (a triage suggestion, not a rule).
SECTOR_UNIT = {
    "internet_traps": "police",
    "elderly_projects": "civil_affairs",
    "care_land": "land",
    "elderly_housing": "market",
    "tourism_art": "market",
    "unlicensed_medical": "health",
    "food_health_products": "market",
    "illegal_fundraising": "enterprise_service",
}

LEAD_STATUS = {
    "registered": _l("已登记", "Registered"),
    "dispatched": _l("已分流", "Dispatched"),
    "verifying": _l("核查中", "Verifying"),
    "feedback": _l("已反馈", "Fed back"),
    "reviewing": _l("审核中", "Under review"),
    "closed": _l("已办结", "Closed"),
    "withdrawn": _l("已撤销", "Withdrawn"),
}
OPEN_LEAD_STATUSES = ("registered", "dispatched", "verifying", "feedback", "reviewing")

RESULT = {
    "substantiated": _l("属实", "Substantiated"),
    "partly": _l("部分属实", "Partly substantiated"),
    "not_substantiated": _l("不属实", "Not substantiated"),
}

GRADE = {
    "red": _l("红色", "Red"),
    "orange": _l("橙色", "Orange"),
    "yellow": _l("黄色", "Yellow"),
    "green": _l("绿色", "Green"),
}

# Public-opinion heat (舆论热度) and stability risk (涉稳隐患).
INTENSITY = {
    "none": _l("无", "None"),
    "low": _l("低", "Low"),
    "medium": _l("中", "Medium"),
    "high": _l("高", "High"),
}

MEASURE = {
    "risk_warning": _l("风险提示", "Risk warning"),
    "warning_interview": _l("警示约谈", "Warning interview"),
    "suspension": _l("停止经营活动", "Suspension of business"),
    "order_rectify": _l("责令整改", "Order to rectify"),
    "urge_refunds": _l("督促清退资金", "Urge refunds"),
    "transfer_department": _l("移交主管部门", "Transfer to the competent department"),
    "transfer_police": _l("移送公安/司法机关", "Transfer to police or judicial organs"),
    # Reported at a lead's 查办反馈 by the police (or by a unit after it transferred the case):
    # the fourth grade of 分级分类处置 seen from the police side ("公安机关将依法立即立案查处").
    "case_filed": _l("立案侦查", "Criminal case filed"),
}

# The measures an officer chooses at a lead's 查办反馈 (form lead/feedback, field `handling`)
# and the disposal (处置记录, MEASURE) each one is recorded as; None: not a disposal of an
# institution, so nothing is recorded (the choice stays in the feedback's own record).
# domain.services.record_feedback_measures reads this table; keep it in step with the form
# (tests/test_domain_labels.py checks every option of the shipped form is mapped here).
FEEDBACK_MEASURE = {
    "risk_warning": "risk_warning",                  # 风险提示 (苗头性问题)
    "warning_interview": "warning_interview",        # 警示约谈
    "suspension": "suspension",                      # 停止经营活动
    "order_rectify": "order_rectify",                # 责令整改
    "urge_refunds": "urge_refunds",                  # 督促清退资金
    "transfer_department": "transfer_department",    # 移交主管部门
    "transfer_police": "transfer_police",            # 移送公安机关
    "case_filed": "case_filed",                      # 立案侦查: the criminal grade, by the police
    # 调解处理 settles a dispute between the elderly and the seller (化解矛盾纠纷); it acts on
    # no institution's risk, and what it recovers is counted as losses recovered (追赃挽损).
    "mediation": None,
    "no_action": None,                               # 经核实无需处理
}

RECTIFICATION_STATUS = {
    "open": _l("整改中", "Open"),
    "submitted": _l("待验收", "Submitted"),
    "accepted": _l("已验收", "Accepted"),
    "sent_back": _l("退回整改", "Sent back"),
    "overdue": _l("已逾期", "Overdue"),
    "closed": _l("已销号", "Closed"),
    "reopened": _l("重新整改", "Reopened"),
}

# 月报表 (domain.returns): a unit's monthly statistical return.
RETURN_STATUS = {
    "draft": _l("待报送", "Not submitted"),
    "submitted": _l("已报送", "Submitted"),
    "returned": _l("退回修改", "Returned for correction"),
}

SUPERVISION_KIND = {
    "lead": _l("线索督办", "Lead"),
    "unit": _l("单位督办", "Unit"),
    "rectification": _l("整改督办", "Rectification"),
}

SUPERVISION_LEVEL = {
    "ordinary": _l("一般督办", "Ordinary"),
    "yellow": _l("黄牌督办", "Yellow card"),
    "red": _l("红牌督办", "Red card"),
}

# Escalation ladder: 催办 → 通报 → 约谈 → 限期整改 → 问责.
SUPERVISION_STAGE = {
    "reminder": _l("催办", "Reminder"),
    "notice": _l("通报", "Notice"),
    "interview": _l("约谈", "Interview"),
    "deadline_rectify": _l("限期整改", "Deadline to rectify"),
    "accountability": _l("问责", "Accountability"),
}

SUPERVISION_STATUS = {
    "open": _l("督办中", "Open"),
    "closed": _l("已结束", "Closed"),
}

ACCOUNTABILITY_STATUS = {
    "open": _l("待处理", "Open"),
    "decided": _l("已作出决定", "Decided"),
    "closed": _l("已办结", "Closed"),
}

# 专项行动的层级 and its phases (宣传发动 → 打击整治 → 总结提升, as every seed runs it).
CAMPAIGN_LEVEL = {
    "province": _l("省级", "Province"),
    "city": _l("市级", "City"),
    "district": _l("区（县）级", "District/county"),
    "town": _l("镇（街道）级", "Town/sub-district"),
}

PHASE_KIND = {
    "publicity": _l("宣传发动", "Publicity and mobilisation"),
    "strike": _l("打击整治", "Strike and rectification"),
    "summary": _l("总结提升", "Summary and improvement"),
}

# 依法打击: the charges of the campaign's criminal cases (罪名, from the seeds) and a case's judicial stages.
CHARGE = {
    "fraud": _l("诈骗罪", "Fraud"),
    "fundraising_fraud": _l("集资诈骗罪", "Fund-raising fraud"),
    "illegal_deposits": _l("非法吸收公众存款罪", "Illegally taking public deposits"),
    "false_advertising": _l("虚假广告罪", "False advertising"),
    "illegal_business": _l("非法经营罪", "Illegal business operation"),
    "pyramid_selling": _l("组织、领导传销活动罪", "Organising or leading pyramid selling"),
    "other": _l("其他", "Other"),
}

STRIKE_STAGE = {
    "filed": _l("已立案侦查", "Filed for investigation"),
    "prosecuted": _l("已移送审查起诉", "Sent for prosecution"),
    "judged": _l("已审结", "Judged"),
}

# 宣传发动: the forms a publicity activity takes.
PUBLICITY_FORM = {
    "lecture": _l("讲座", "Lecture"),
    "leaflets": _l("发放资料", "Leaflets"),
    "boards_banners": _l("展板/横幅", "Boards and banners"),
    "sms_push": _l("短信/推送", "Text messages and pushes"),
    "door_to_door": _l("入户走访", "Door-to-door visits"),
    "media": _l("媒体/新媒体作品", "Media and new-media works"),
    "case_exposure": _l("典型案例曝光", "Typical cases exposed"),
}

# What the activity's `items` count is for each form, with its measure word (块, 条, 户 ...);
# a form missing here has no item count (a lecture counts its audience, leaflets their copies).
PUBLICITY_ITEM = {
    "boards_banners": _l("展板/横幅（块）", "Boards and banners (pieces)"),
    "sms_push": _l("短信/推送（条）", "Messages sent"),
    "door_to_door": _l("走访户数（户）", "Households visited"),
    "media": _l("作品/公益广告（条）", "Works and public-service ads"),
    "case_exposure": _l("曝光案例（起）", "Cases exposed"),
}

# 机构排查: what an inspection of an institution found (domain.inspections).
INSPECTION_FINDING = {
    "no_problem": _l("无问题", "No problem"),
    "risk_found": _l("发现风险", "Risk found"),
}

RECORD = {
    "unit": _l("单位", "Unit"),
    "user": _l("用户", "User"),
    "lead": _l("线索", "Lead"),
    "reporter": _l("举报人", "Reporter"),
    "subject": _l("机构/企业", "Institution/enterprise"),
    "risk_assessment": _l("风险评估", "Risk assessment"),
    "disposal": _l("处置", "Disposal"),
    "rectification_item": _l("整改事项", "Rectification item"),
    "supervision_case": _l("督办事项", "Supervision case"),
    "accountability_record": _l("问责记录", "Accountability record"),
    "campaign": _l("专项行动", "Campaign"),
    "campaign_phase": _l("行动阶段", "Campaign phase"),
    "working_group": _l("工作组", "Working group"),
    "strike_case": _l("刑事案件", "Criminal case"),
    "publicity_activity": _l("宣传活动", "Publicity activity"),
    "inspection": _l("机构排查", "Inspection"),
}

# Labels of record fields, shared by the UI and by validation messages.
FIELD = {
    "channel": _l("线索来源", "Channel"),
    "received_at": _l("接收时间", "Received at"),
    "summary": _l("线索内容", "Summary"),
    "lead_place": _l("发现地点", "Where"),
    "subject_id": _l("涉及机构/企业", "Institution/enterprise"),
    "subject_name": _l("涉及机构/企业名称", "Institution/enterprise name"),
    "subject_credit_code": _l("涉及机构/企业统一社会信用代码", "Institution/enterprise credit code"),
    "sector": _l("整治领域", "Sector"),
    "responsible_unit": _l("责任单位", "Responsible unit"),
    "responsible_person": _l("责任人", "Responsible person"),
    "status": _l("状态", "Status"),
    "feedback_deadline": _l("反馈期限", "Feedback deadline"),
    "result": _l("核实结果", "Result"),
    "major": _l("重大线索", "Major lead"),
    "recovered_amount": _l("追赃挽损金额（元）", "Losses recovered (yuan)"),
    "external_ref": _l("来源编号", "External reference"),
    "reporter": _l("举报人", "Reporter"),
    "anonymous": _l("匿名举报", "Anonymous"),
    "name": _l("名称", "Name"),
    "reporter_name": _l("举报人姓名", "Reporter's name"),
    "phone": _l("联系电话", "Phone"),
    "contact": _l("其他联系方式", "Other contact"),
    "credit_code": _l("统一社会信用代码", "Unified social credit code"),
    "address": _l("地址", "Address"),
    "legal_representative": _l("法定代表人", "Legal representative"),
    "grade": _l("风险等级", "Risk grade"),
    "people_involved": _l("涉众人数", "People involved"),
    "money_at_risk": _l("风险敞口（元）", "Money at risk (yuan)"),
    "opinion_heat": _l("舆论热度", "Public-opinion heat"),
    "stability_risk": _l("涉稳隐患", "Stability risk"),
    "computed_grade": _l("按规则评定等级", "Grade by rule"),
    "grading_rule": _l("适用规则", "Rule applied"),
    "grading_decision": _l("评定依据", "Grading table"),
    "override_reason": _l("改判理由", "Reason for another grade"),
    "measure": _l("处置措施", "Measure"),
    "handling": _l("办理措施", "Measures taken"),
    "unit": _l("单位", "Unit"),
    "officer": _l("经办人", "Officer"),
    "note": _l("备注", "Note"),
    "lead_id": _l("关联线索", "Lead"),
    "problem": _l("问题", "Problem"),
    "measures": _l("整改措施", "Measures"),
    "deadline": _l("整改期限", "Deadline"),
    "evidence": _l("整改材料", "Evidence"),
    "lookback_result": _l("回头看情况", "Look-back result"),
    "kind": _l("类型", "Kind"),
    "target_id": _l("督办对象", "Target"),
    "reason": _l("事由", "Reason"),
    "level": _l("督办等级", "Level"),
    "stage": _l("督办阶段", "Stage"),
    "documents": _l("文书材料", "Documents"),
    "item_id": _l("整改事项", "Rectification item"),
    "case_id": _l("督办事项", "Supervision case"),
    "workdays": _l("工作日数", "Working days"),
    "start": _l("起算时间", "Start"),
    "opened_at": _l("列入督办时间", "Under supervision since"),
    "receipt_no": _l("回执编号", "Receipt number"),
    "accepting_unit": _l("受理单位", "Accepting unit"),
    "accepted_on": _l("受理日期", "Date accepted"),
    "name_zh": _l("中文名称", "Chinese name"),
    "name_en": _l("英文名称", "English name"),
    "campaign_level": _l("行动层级", "Level"),
    "first_day": _l("开始日期", "First day"),
    "last_day": _l("结束日期", "Last day"),
    "phase_kind": _l("阶段类型", "Phase"),
    "phase_name": _l("阶段名称", "Phase name"),
    "group_code": _l("工作组代码", "Group code"),
    "member": _l("成员", "Member"),
    "phase": _l("行动阶段", "Campaign phase"),
    # criminal cases (依法打击)
    "case_number": _l("案件编号", "Case number"),
    "case_unit": _l("办案单位", "Handling unit"),
    "charge": _l("罪名", "Charge"),
    "case_summary": _l("简要案情", "Summary of the case"),
    "filed_on": _l("立案日期", "Date filed"),
    "lead_numbers": _l("关联线索编号", "Linked lead numbers"),
    "subject_ids": _l("涉案机构/企业", "Institutions involved"),
    "gangs": _l("打掉团伙（个）", "Gangs broken up"),
    "suspects": _l("抓获犯罪嫌疑人（人）", "Suspects caught"),
    "frozen_amount": _l("冻结涉案资金（元）", "Money frozen (yuan)"),
    "strike_recovered_amount": _l("追赃挽损（元）", "Money recovered (yuan)"),
    "returned_amount": _l("返还受害人（元）", "Returned to victims (yuan)"),
    "strike_stage": _l("案件阶段", "Stage"),
    "prosecuted_on": _l("移送审查起诉日期", "Date sent for prosecution"),
    "judged_on": _l("审结日期", "Date judged"),
    "judgment": _l("判决结果", "Judgment"),
    "law_enforcement": _l("政法单位", "Law-enforcement unit"),
    # publicity activities (宣传发动)
    "held_on": _l("活动日期", "Date"),
    "recording_unit": _l("记录单位", "Recording unit"),
    "community": _l("社区/村", "Community/village"),
    "place": _l("活动地点", "Place"),
    "form": _l("宣传形式", "Form"),
    "title": _l("活动名称", "Title"),
    "description": _l("活动情况", "Description"),
    "audience": _l("受众人次", "People reached"),
    "materials": _l("发放资料（份）", "Materials distributed (copies)"),
    "items": _l("数量", "Count"),
    "photos": _l("现场照片", "Photos"),
    "recorded_by": _l("记录人", "Recorded by"),
    "recorded_at": _l("记录时间", "Recorded at"),
    # 机构排查 (domain.inspections)
    "inspected_on": _l("排查日期", "Date of inspection"),
    "inspecting_unit": _l("排查单位", "Inspecting unit"),
    "officers": _l("排查人员", "Inspecting officers"),
    "finding": _l("排查结论", "Finding"),
    "checklist": _l("排查项目", "Checklist"),
    "inspection_note": _l("排查情况说明", "Notes on the inspection"),
}

VOCABULARIES = {
    "unit_kind": UNIT_KIND,
    "unit": UNIT,
    "role": ROLE,
    "channel": CHANNEL,
    "sector": SECTOR,
    "lead_status": LEAD_STATUS,
    "result": RESULT,
    "grade": GRADE,
    "intensity": INTENSITY,
    "measure": MEASURE,
    "rectification_status": RECTIFICATION_STATUS,
    "supervision_kind": SUPERVISION_KIND,
    "supervision_level": SUPERVISION_LEVEL,
    "supervision_stage": SUPERVISION_STAGE,
    "supervision_status": SUPERVISION_STATUS,
    "accountability_status": ACCOUNTABILITY_STATUS,
    "campaign_level": CAMPAIGN_LEVEL,
    "phase_kind": PHASE_KIND,
    "charge": CHARGE,
    "strike_stage": STRIKE_STAGE,
    "publicity_form": PUBLICITY_FORM,
    "publicity_item": PUBLICITY_ITEM,
    "inspection_finding": INSPECTION_FINDING,
    "return_status": RETURN_STATUS,
    "record": RECORD,
    "field": FIELD,
}

UNIT_KINDS = tuple(UNIT_KIND)
ROLES = tuple(ROLE)
CHANNELS = tuple(CHANNEL)
SECTORS = tuple(SECTOR)
LEAD_STATUSES = tuple(LEAD_STATUS)
RESULTS = tuple(RESULT)
GRADES = tuple(GRADE)
INTENSITIES = tuple(INTENSITY)
MEASURES = tuple(MEASURE)
RECTIFICATION_STATUSES = tuple(RECTIFICATION_STATUS)
SUPERVISION_KINDS = tuple(SUPERVISION_KIND)
SUPERVISION_LEVELS = tuple(SUPERVISION_LEVEL)
SUPERVISION_STAGES = tuple(SUPERVISION_STAGE)
SUPERVISION_STATUSES = tuple(SUPERVISION_STATUS)
ACCOUNTABILITY_STATUSES = tuple(ACCOUNTABILITY_STATUS)
CAMPAIGN_LEVELS = tuple(CAMPAIGN_LEVEL)
PHASE_KINDS = tuple(PHASE_KIND)
CHARGES = tuple(CHARGE)
STRIKE_STAGES = tuple(STRIKE_STAGE)
PUBLICITY_FORMS = tuple(PUBLICITY_FORM)
INSPECTION_FINDINGS = tuple(INSPECTION_FINDING)


def normalize_locale(locale: str | None) -> str:
    """'zh', 'zh_CN', 'zh-Hans' -> 'zh'; 'en', 'en_US' -> 'en'; anything else -> 'zh'."""
    base = (locale or "zh").replace("-", "_").split("_")[0].lower()
    return base if base in SUPPORTED_LOCALES else "zh"


def pick(text: dict | str | None, locale: str | None = "zh") -> str:
    """The text of a {zh, en} mapping in `locale`, falling back to the other language."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    locale = normalize_locale(locale)
    return text.get(locale) or text.get("zh") or text.get("en") or ""


def label(vocabulary: str, code: str | None, locale: str | None = "zh") -> str:
    """The label of `code`; the code itself when it is unknown (never raises)."""
    if code is None:
        return ""
    entry = VOCABULARIES[vocabulary].get(code)
    return pick(entry, locale) if entry else str(code)


def choices(vocabulary: str, locale: str | None = "zh") -> list[tuple[str, str]]:
    """[(code, label)] in declaration order, for select boxes."""
    return [(code, pick(text, locale)) for code, text in VOCABULARIES[vocabulary].items()]


def options(vocabulary: str) -> list[dict]:
    """Options in the form-JSON shape: [{"value": code, "label": {"zh", "en"}}]."""
    return [{"value": code, "label": dict(text)} for code, text in VOCABULARIES[vocabulary].items()]
