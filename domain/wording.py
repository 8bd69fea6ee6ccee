"""How the system's internal names read to people: the one place for wording.

Pages, timelines, escalation items, notifications and exports never show an
internal identifier (an audit action name, a unit code, a process id, an
escalation rung, a username). They show the words of this module instead:

    action_label(action, locale)        audit action in plain words: 签收, 上传证据材料 …
    rung_name(rung, locale)             escalation rung as supervisors call it: 逾期, 问责 …
    rung_reason(rung, locale)           why a task climbed that rung (notifications)
    person_labels(session, names, l)    {username: 姓名（单位）}; person_label for one
    unit_names(session, locale)         {unit code: unit name}; unit_name for one (or a working group)
    working_group_names(session, l)     {working group code: its name} (candidate groups group_strike …)
    process_names(session)              {process id: the process's name}
    case_labels(session, ids, locale)   {instance id: "XS-2026-000021 新塘康泰养生会馆"}; case_label for one

Texts are {zh, en} pairs, as in domain.labels; `locale` is "zh" or "en" (anything
else reads as Chinese). No Flask here: the web pages pass the page's locale, the
notifications (domain.directory) each recipient's.
"""
from sqlalchemy import select

from domain.labels import pick, zh_en
from domain.models import (Inspection, Lead, MonthlyReturn, RectificationItem, Subject, SupervisionCase, Unit, User,
                           WorkingGroup)
from domain.demo import DEMO_ACTOR
from domain.grid_reports import GRID_INTAKE, GRID_INTAKE_NAME
from engine.identity import SYSTEM
from engine.ladder import RUNG_ACTIONS
from engine.store.models import AuditEvent, ProcessDefinition, ProcessInstance

# Who the engine and the demo loader write as; they read as "系统".
SYSTEM_ACTORS = frozenset({SYSTEM.username, DEMO_ACTOR})

# Actors that stand for someone protected: a grid worker's report reads as 网格员上报, not as the person.
PSEUDONYMS = {GRID_INTAKE.username: GRID_INTAKE_NAME}


_l = zh_en


# -- audit actions --------------------------------------------------------------------------------
# Every action the code writes to the audit trail (engine, domain, web). tests/test_wording.py reads
# the code for audit(...) calls and fails on an action missing here.

ACTIONS = {
    # the campaign's records (domain)
    "lead.registered": _l("登记线索", "Lead registered"),
    "lead.grid_reported": _l("网格员上报线索", "Lead reported by a grid worker"),
    "lead.updated": _l("更新线索", "Lead updated"),
    "subject.created": _l("登记机构/企业", "Institution or enterprise registered"),
    "risk.graded": _l("评定风险等级", "Risk graded"),
    "risk.grade_overridden": _l("改判风险等级", "Risk grade changed from the grade by rule"),
    "disposal.recorded": _l("记录处置措施", "Disposal measure recorded"),
    "disposal.updated": _l("更新处置记录", "Disposal record updated"),
    "disposal.withdrawn": _l("撤回处置记录", "Disposal record withdrawn"),
    "police.receipt_received": _l("收到公安受理回执", "Police acceptance receipt received"),
    "lead.completion_reported": _l("报送办结情况", "Completion reported upward"),
    "document.issued": _l("开具文书", "Document issued"),
    "rectification.opened": _l("建立整改事项", "Rectification item opened"),
    "rectification.updated": _l("更新整改事项", "Rectification item updated"),
    "supervision.opened": _l("立案督办", "Supervision case opened"),
    "return.opened": _l("下发月报表", "Monthly return opened"),
    "return.saved": _l("保存月报表", "Monthly return saved"),
    "return.submitted": _l("报送月报表", "Monthly return submitted"),
    "return.returned": _l("退回月报表", "Monthly return returned for correction"),
    "supervision.updated": _l("更新督办事项", "Supervision case updated"),
    "accountability.opened": _l("启动问责", "Accountability opened"),
    "publicity.recorded": _l("记录宣传活动", "Publicity activity recorded"),
    "publicity.updated": _l("修改宣传活动", "Publicity activity changed"),
    "publicity.deleted": _l("删除宣传活动", "Publicity activity deleted"),
    "publicity.photo_added": _l("上传宣传活动照片", "Publicity photo added"),
    "publicity.photo_removed": _l("删除宣传活动照片", "Publicity photo removed"),
    "reporter.viewed": _l("查看举报人身份", "Reporter's identity viewed"),
    "strike_case.recorded": _l("登记刑事案件", "Criminal case recorded"),
    "strike_case.updated": _l("更新刑事案件", "Criminal case updated"),
    "strike_case.stage_moved": _l("更新刑事案件阶段", "Criminal case stage moved"),
    "api_token.created": _l("创建接口令牌", "API token created"),
    "api_token.revoked": _l("吊销接口令牌", "API token revoked"),
    "inspection.recorded": _l("登记机构排查", "Inspection recorded"),
    "inspection.disposal_started": _l("排查发现风险，启动风险研判处置", "Graded disposal started for an inspection's risk"),
    "calendar.schedule_saved": _l("录入放假安排", "Holiday schedule saved"),
    "calendar.year_confirmed": _l("确认年度工作日历", "Working-day calendar confirmed"),
    "calendar.confirmation_withdrawn": _l("撤回工作日历确认", "Working-day calendar confirmation withdrawn"),
    "campaign.saved": _l("保存专项行动", "Campaign saved"),
    "campaign.phase_saved": _l("保存行动阶段", "Campaign phase saved"),
    "campaign.phase_deleted": _l("删除行动阶段", "Campaign phase deleted"),
    "working_group.saved": _l("保存工作组", "Working group saved"),
    "working_group.member_added": _l("加入工作组成员", "Working group member added"),
    "working_group.member_removed": _l("移出工作组成员", "Working group member removed"),
    # processes
    "definition.deployed": _l("发布流程版本", "Process version published"),
    "definition.rolled_back": _l("回退流程版本", "Process version rolled back"),
    "decision.deployed": _l("发布决策表版本", "Decision table version published"),
    "decision.rolled_back": _l("回退决策表版本", "Decision table version rolled back"),
    "decision.evaluated": _l("按决策表判定", "Decided by a decision table"),
    "instance.started": _l("启动流程", "Process started"),
    "instance.completed": _l("流程结束", "Process ended"),
    "instance.cancelled": _l("流程已撤销", "Process cancelled"),
    "instance.withdrawn": _l("案件已撤销", "Case withdrawn"),
    "instance.suspended": _l("流程暂停", "Process suspended"),
    "instance.resumed": _l("流程恢复", "Process resumed"),
    "instance.variable_set": _l("管理员修改流程数据", "Process data changed by an administrator"),
    "instance.migrated": _l("迁移到新流程版本", "Moved to a new process version"),
    "incident.opened": _l("流程运行异常", "Error in the process"),
    "incident.retried": _l("异常环节重试", "Failed step retried"),
    "timer.scheduled": _l("开始计时", "Timer started"),
    "timer.fired": _l("时限届满", "Time limit reached"),
    "timer.cancelled": _l("停止计时", "Timer stopped"),
    "external_task.completed": _l("外部系统办理完成", "Done by another system"),
    "external_task.failed": _l("外部系统办理失败", "Another system failed to do it"),
    "external_task.bpmn_error": _l("外部系统报告业务异常", "Another system reported a business error"),
    "message.received": _l("收到外部消息", "Message received"),
    "message.unmatched": _l("发出的消息无人接收", "Message sent; nobody waited for it"),
    "signal.received": _l("收到信号", "Signal received"),
    "call.started": _l("启动子流程", "Sub-process started"),
    "call.returned": _l("子流程办结", "Sub-process finished"),
    # tasks
    "task.created": _l("生成待办", "Task created"),
    "task.claimed": _l("签收", "Claimed"),
    "task.unclaimed": _l("退回待签收", "Released to the unit's queue"),
    "task.completed": _l("办理完成", "Completed"),
    "task.cancelled": _l("任务关闭", "Task closed"),
    "task.draft_saved": _l("暂存草稿", "Draft saved"),
    "task.delegated": _l("委派", "Delegated"),
    "task.delegation_resolved": _l("被委派人办毕交回", "Returned by the delegate"),
    "task.cosigner_added": _l("加签", "Co-handler added"),
    "task.cosigned": _l("会签", "Co-signed"),
    "task.copied": _l("抄送", "Copied"),
    "task.reassigned": _l("改派", "Reassigned"),
    "task.transferred": _l("转办", "Transferred"),
    "task.sent_back": _l("退回", "Sent back"),
    "task.taken_back": _l("拿回", "Taken back"),
    "task.deadline_extended": _l("延长办理期限", "Deadline extended"),
    "task.reminded": _l("催办", "Reminder sent"),
    "comment.added": _l("意见", "Comment"),
    "attachment.added": _l("上传证据材料", "Evidence uploaded"),
    # deadlines and supervision (engine.escalation)
    "escalation.reminder": _l("到期提醒", "Deadline reminder"),
    "escalation.unclaimed": _l("超时未签收，报督导人员", "Not claimed in time; supervisors told"),
    "escalation.overdue": _l("逾期未办结，报督导人员", "Overdue; supervisors told"),
    "escalation.escalate": _l("超期未办结，报督导人员", "Not completed in time; supervisors told"),
    "escalation.leader": _l("逾期未办结，报专项办领导", "Still overdue; raised to the special office's leaders"),
    "escalation.accountability": _l("逾期未办结，提请问责", "Still overdue; accountability proposed"),
    "escalation.acknowledged": _l("逾期事项已确认", "Escalation acknowledged"),
    "supervision.raised": _l("列入督办", "Put under supervision"),
    "supervision.cancelled": _l("撤销督办", "Supervision lifted"),
}

OTHER_ACTION = _l("其他操作", "Other action")


def action_label(action: str | None, locale: str | None = "zh") -> str:
    """The action in plain words; never the action's name (an unknown one reads as 其他操作)."""
    return pick(ACTIONS.get(action or "") or OTHER_ACTION, locale)


def action_names(locale: str | None = "zh") -> dict[str, str]:
    """{action: plain words} of every known action."""
    return {action: pick(text, locale) for action, text in ACTIONS.items()}


# -- escalation rungs (engine.ladder) ----------------------------------------------------------------

RUNGS = {
    "reminder": _l("催办提醒", "Reminder"),
    "unclaimed": _l("超时未签收", "Not claimed"),
    "overdue": _l("逾期", "Overdue"),
    "escalate": _l("超期未办结", "Not completed in time"),
    "leader": _l("提级领导督办", "Raised to the leaders"),
    "accountability": _l("问责", "Accountability"),
}

# Why a task climbed a rung: the 升级原因 of an escalation notice.
RUNG_REASONS = {
    "reminder": _l("办理期限即将届满", "the deadline is near"),
    "unclaimed": _l("超过规定时间未签收", "it was not claimed in time"),
    "overdue": _l("超过办理期限未办结", "it was not completed by its deadline"),
    "escalate": _l("超过规定时限未办结", "it was not completed within the set time"),
    "leader": _l("逾期后仍未办结，提级专项办领导督办",
                 "it is still not completed after its deadline and goes to the special office's leaders"),
    "accountability": _l("逾期后仍未办结，已提请问责",
                         "it is still not completed after its deadline; accountability is proposed"),
}

OTHER_RUNG = _l("逾期升级", "Escalated")

assert set(RUNGS) == set(RUNG_ACTIONS) == set(RUNG_REASONS), "every ladder rung needs its wording"


def rung_name(rung: str | None, locale: str | None = "zh") -> str:
    return pick(RUNGS.get(rung or "") or OTHER_RUNG, locale)


def rung_reason(rung: str | None, locale: str | None = "zh") -> str:
    return pick(RUNG_REASONS.get(rung or "") or OTHER_RUNG, locale)


def both(function, *args) -> dict:
    """{zh, en} of a wording function's text (for notifications, rendered per recipient)."""
    return {"zh": function(*args, "zh"), "en": function(*args, "en")}


# -- people and units ---------------------------------------------------------------------------

def _english(locale: str | None) -> bool:
    return (locale or "zh").replace("-", "_").split("_")[0].lower() == "en"


def system_name(locale: str | None = "zh") -> str:
    return "System" if _english(locale) else "系统"


def with_unit(name: str, unit: str | None, locale: str | None = "zh") -> str:
    """姓名（单位） in Chinese, "Name (Unit)" in English."""
    if not unit:
        return name
    return f"{name} ({unit})" if _english(locale) else f"{name}（{unit}）"


def unit_names(session, locale: str | None = "zh") -> dict[str, str]:
    """{unit code: the unit's name in `locale`} of every unit."""
    english = _english(locale)
    return {code: (en if english and en else zh)
            for code, zh, en in session.execute(select(Unit.code, Unit.name_zh, Unit.name_en))}


def working_group_names(session, locale: str | None = "zh") -> dict[str, str]:
    """{working group code (group_strike …): the group's name in `locale`}."""
    english = _english(locale)
    return {code: (en if english and en else zh)
            for code, zh, en in session.execute(select(WorkingGroup.code, WorkingGroup.name_zh, WorkingGroup.name_en))}


def unit_name(session, code: str | None, locale: str | None = "zh") -> str:
    """The unit's name; a working group's name; a role or unknown group reads by domain.labels (never
    the bare code when known)."""
    if not code:
        return ""
    row = session.execute(select(Unit.name_zh, Unit.name_en).where(Unit.code == code)).first()
    if row is None:
        row = session.execute(select(WorkingGroup.name_zh.label("name_zh"), WorkingGroup.name_en.label("name_en"))
                              .where(WorkingGroup.code == code)).first()
    if row is not None:
        return row.name_en if _english(locale) and row.name_en else row.name_zh
    from domain.labels import ROLE, UNIT, label
    vocabulary = "role" if code in ROLE else "unit" if code in UNIT else None
    return label(vocabulary, code, "en" if _english(locale) else "zh") if vocabulary else code


def person_labels(session, usernames, locale: str | None = "zh") -> dict[str, str]:
    """{username: 姓名（单位）} for every name given (an unknown name is kept as it is; the engine's own
    actor and the demo loader read as 系统)."""
    wanted = sorted({name for name in usernames if name})
    if not wanted:
        return {}
    english = _english(locale)
    found = {}
    rows = session.execute(select(User.username, User.display_name, Unit.name_zh, Unit.name_en)
                           .outerjoin(Unit, Unit.id == User.unit_id).where(User.username.in_(wanted))).all()
    for username, display, unit_zh, unit_en in rows:
        found[username] = with_unit(display or username, (unit_en if english and unit_en else unit_zh), locale)
    for name in wanted:
        if name not in found:
            found[name] = (system_name(locale) if name in SYSTEM_ACTORS
                           else pick(PSEUDONYMS[name], locale) if name in PSEUDONYMS else name)
    return found


def person_label(session, username: str | None, locale: str | None = "zh") -> str:
    return person_labels(session, [username], locale).get(username, "") if username else ""


# -- processes and cases --------------------------------------------------------------------------

def process_names(session) -> dict[str, str]:
    """{process id: the name of its latest version} (the id itself only when a process has no name)."""
    rows = session.execute(select(ProcessDefinition.process_id, ProcessDefinition.name)
                           .order_by(ProcessDefinition.process_id, ProcessDefinition.version)).all()
    names = {}
    for process_id, name in rows:
        names[process_id] = name or names.get(process_id) or process_id
    return names


def as_id(value) -> int | None:
    """A record id given as a number or digits (start data keeps either), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _join(number: str | None, about: str | None) -> str:
    return " ".join(part for part in (number, about) if part)


def _lead_label(lead: Lead) -> str:
    return _join(lead.number, lead.subject_display_name)


def case_labels(session, instance_ids, locale: str | None = "zh") -> dict[int, str]:
    """{instance id: its case as people name it}: the number of its lead, rectification item or
    supervision case and the institution (or unit) it is about, e.g. "XS-2026-000021 新塘康泰养生会馆".
    An instance of none of them (graded disposal) reads by the lead or institution it started with."""
    ids = sorted({i for i in instance_ids if i is not None})
    if not ids:
        return {}
    instances = dict(session.execute(select(ProcessInstance.id, ProcessInstance.business_key)
                                     .where(ProcessInstance.id.in_(ids))).all())
    keys = sorted({key for key in instances.values() if key})
    labels: dict[int, str] = {}

    def by(model, extra=None):
        found = {}
        condition = model.instance_id.in_(ids)
        if keys:
            condition = condition | model.number.in_(keys)
        for row in session.scalars(select(model).where(condition)):
            found[row.number] = row
            if row.instance_id is not None:
                found[row.instance_id] = row
        return found

    def supervision_label(case: SupervisionCase) -> str:
        about = ""
        if case.kind == "lead" and case.target_id and (lead := session.get(Lead, case.target_id)) is not None:
            about = lead.subject_display_name
        elif case.kind == "rectification" and case.target_id and (
                item := session.get(RectificationItem, case.target_id)) is not None:
            about = item.subject.name if item.subject else ""
        return _join(case.number, about or unit_name(session, case.unit, locale))

    def return_label(record) -> str:  # 月报表: YB-2026-000012 新塘市场监督管理所 2026年2月月报表
        from domain.returns import month_label
        english = _english(locale)
        month = month_label(record.month, "en" if english else "zh") + (" return" if english else "月报表")
        return _join(record.number, f"{unit_name(session, record.unit, locale)} {month}")

    leads, items, cases = by(Lead), by(RectificationItem), by(SupervisionCase)
    monthly_returns = by(MonthlyReturn)
    for instance_id, key in instances.items():
        for found, describe in ((leads, _lead_label),
                                (items, lambda item: _join(item.number, item.subject.name if item.subject else "")),
                                (cases, supervision_label), (monthly_returns, return_label)):
            record = found.get(instance_id) or (found.get(key) if key else None)
            if record is not None:
                labels[instance_id] = describe(record)
                break
    missing = [i for i in ids if i not in labels and i in instances]
    if missing:
        started = dict(session.execute(select(AuditEvent.instance_id, AuditEvent.data).where(
            AuditEvent.instance_id.in_(missing), AuditEvent.action == "instance.started")).all())
        for instance_id in missing:
            data = (started.get(instance_id) or {}).get("data") or {}
            lead = session.get(Lead, lead_id) if (lead_id := as_id(data.get("lead_id"))) else None
            subject = session.get(Subject, subject_id) if (subject_id := as_id(data.get("subject_id"))) else None
            inspection = session.get(Inspection, inspection_id) if (
                inspection_id := as_id(data.get("inspection_id"))) else None
            if inspection is not None:  # graded disposal of a risk an inspection found (机构排查)
                labels[instance_id] = _join(inspection.number, inspection.subject.name)
            elif lead is not None:
                labels[instance_id] = _lead_label(lead)
            elif subject is not None:
                labels[instance_id] = subject.name
            else:
                labels[instance_id] = instances[instance_id] or ""
    return labels


def case_label(session, instance_id: int | None, locale: str | None = "zh") -> str:
    return case_labels(session, [instance_id], locale).get(instance_id, "") if instance_id else ""
