"""Validation messages in Chinese and English. Every message names the field."""
from domain.labels import normalize_locale

MESSAGES = {
    "required": ("{label}为必填项", "{label} is required"),
    "invalid_text": ("{label}必须是文本", "{label} must be text"),
    "invalid_integer": ("{label}必须是整数", "{label} must be a whole number"),
    "invalid_number": ("{label}必须是数字", "{label} must be a number"),
    "invalid_boolean": ("{label}必须为“是”或“否”", "{label} must be yes or no"),
    "invalid_date": ("{label}不是有效的日期（格式：2026-03-01）", "{label} is not a valid date (e.g. 2026-03-01)"),
    "invalid_datetime": ("{label}不是有效的日期时间（格式：2026-03-01T09:00）",
                         "{label} is not a valid date and time (e.g. 2026-03-01T09:00)"),
    "invalid_list": ("{label}必须是列表", "{label} must be a list"),
    "invalid_choice": ("{label}的取值无效", "{label}: invalid choice"),
    "invalid_unit": ("{label}不是有效的单位", "{label} is not a known unit"),
    "invalid_credit_code": ("{label}不是有效的统一社会信用代码", "{label} is not a valid unified social credit code"),
    "invalid_phone": ("{label}不是有效的电话号码", "{label} is not a valid phone number"),
    "invalid_attachment": ("{label}包含无效的附件", "{label} contains an invalid attachment"),
    "too_long": ("{label}不能超过{max}个字符", "{label} must be at most {max} characters"),
    "too_small": ("{label}不能小于{min}", "{label} must be at least {min}"),
    "too_large": ("{label}不能大于{max}", "{label} must be at most {max}"),
    "in_past": ("{label}不能早于当前时间", "{label} cannot be in the past"),
    "not_past": ("{label}不能晚于当前时间", "{label} cannot be in the future"),
    "not_found": ("{label}不存在", "{label} does not exist"),
    "subject_missing": ("请填写{label}或选择已登记的机构/企业", "Give {label} or choose a registered institution"),
    "credit_code_taken": ("{label}已被其他机构/企业使用", "{label} is already used by another institution"),
    "reporter_identity": ("非匿名举报须填写{label}或联系电话", "{label} or a phone is required unless anonymous"),
    "not_counted": ("所选宣传形式不填写{label}", "{label} does not apply to the form chosen"),
    "current_month_only": ("{label}只能改为本月的日期（以前月份的数据已纳入月报）",
                           "{label} can only be a date of this month (earlier months are in their returns)"),
    "unknown_field": ("{label}不是可修改的字段", "{label} cannot be changed here"),
    "override_reason_required": ("所选{field}与按规则评定的结果（{computed}）不同，须填写{label}",
                                 "{label} is required: the {field} chosen differs from the one by rule ({computed})"),
    "day_before_first": ("{label}不能早于{first}", "{label} cannot be before the {first}"),
    "phase_outside_period": ("{label}须在专项行动期间（{first}至{last}）内",
                             "{label} must lie in the campaign's period ({first} to {last})"),
    "phase_overlap": ("{label}与“{phase}”阶段（{first}至{last}）重叠，阶段之间不能重叠",
                      "{label} overlaps the phase “{phase}” ({first} to {last}); phases cannot overlap"),
    "period_leaves_phase_out": ("{label}会使“{phase}”阶段落在专项行动期间之外，请先调整该阶段",
                                "{label} would leave the phase “{phase}” outside the period; change that phase first"),
    "group_code_invalid": ("{label}须以 group_ 开头，由小写字母、数字和下划线组成（如 group_strike）",
                           "{label} must start with group_ and use lower-case letters, digits and _ (e.g. group_strike)"),
    "group_code_taken": ("{label}已被单位、角色或其他工作组使用", "{label} is already used by a unit, role or group"),
    "group_code_fixed": ("{label}创建后不能修改（流程按代码分派任务）",
                         "{label} cannot change once created (processes route tasks by it)"),
    # criminal cases (domain.strike)
    "case_number_taken": ("{label}已被其他案件使用", "{label} is already used by another case"),
    "amount_exceeds": ("{label}不能大于{other}", "{label} cannot exceed {other}"),
    "date_before": ("{label}不能早于{other}", "{label} cannot be before {other}"),
    "date_after": ("{label}不能晚于{other}", "{label} cannot be after {other}"),
    "lead_not_found": ("{label}中的线索{number}不存在", "{label}: no lead numbered {number}"),
    "stage_needs_previous": ("{label}：案件须先{previous}", "{label}: the case must first be {previous}"),
    "stage_done": ("{label}：案件已{stage}", "{label}: the case is already {stage}"),
    # 机构排查 (domain.inspections)
    "unknown_point": ("{label}中有不属于该整治领域的项目", "{label} has points that are not on this sector's list"),
    "officer_not_in_unit": ("{label}须为排查单位的在岗人员", "{label} must be staff of the inspecting unit"),
    "risk_needs_detail": ("{label}为“发现风险”时，须在{checklist}中标出问题或填写{note}",
                          "{label} is “risk found”: mark a point of the {checklist} or write the {note}"),
    "finding_contradicts": ("已在排查项目中标出问题，{label}不能为“无问题”",
                            "{label} cannot be “no problem” when a point is marked as a problem"),
}


def message(key: str, locale: str | None = "zh", **params) -> str:
    zh, en = MESSAGES[key]
    template = en if normalize_locale(locale) == "en" else zh
    return template.format(**params)
