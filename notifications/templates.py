"""Message templates in Chinese (default) and English, keyed by event kind.

Templates use `string.Template` placeholders (`${task_name}`): unlike
str.format they cannot reach attributes, items or format specs of the values,
so a template can only insert what the caller put in the context.

A context value may be given in both languages, `{"zh": "新塘市场监督管理所",
"en": "Xintang Market Regulation Station"}`: each recipient reads the one of
their locale. Every template names the case (`${case}`: its number and the
institution it is about), so two notices about tasks of one name differ.
"""
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from string import Template
from typing import Mapping

from .config import CHINA_STANDARD_TIME

ZH_CN = "zh_CN"
EN = "en"
LOCALES = (ZH_CN, EN)
DEFAULT_LOCALE = ZH_CN


class TemplateError(LookupError):
    """Unknown kind or a placeholder the context does not provide."""


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    body: str


@dataclass(frozen=True)
class MessageTemplate:
    title: str
    body: str

    def placeholders(self) -> frozenset[str]:
        names = set()
        for text in (self.title, self.body):
            names.update(Template(text).get_identifiers())
        return frozenset(names)


def normalize_locale(locale: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map 'zh', 'zh-CN', 'zh_Hans_CN', 'en_US', ... onto a supported locale."""
    if not locale:
        return default
    language = locale.replace("-", "_").split("_")[0].lower()
    if language == "zh":
        return ZH_CN
    if language == "en":
        return EN
    return default


def _language(locale: str) -> str:
    return "en" if normalize_locale(locale) == EN else "zh"


def format_value(value: object, tz: tzinfo, locale: str = DEFAULT_LOCALE) -> str:
    """Turn a context value into display text (datetimes in the display zone; a {zh, en}
    mapping in the locale's language)."""
    if isinstance(value, Mapping):
        language = _language(locale)
        other = "zh" if language == "en" else "en"
        value = value.get(language) or value.get(other) or ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TemplateError("naive datetime in notification context")
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class TemplateRegistry:
    def __init__(self):
        self._templates: dict[str, dict[str, MessageTemplate]] = {}

    def register(self, kind: str, locale: str, title: str, body: str) -> None:
        if locale not in LOCALES:
            raise ValueError(f"unsupported locale {locale!r}")
        template = MessageTemplate(title, body)
        for text in (title, body):
            if not Template(text).is_valid():
                raise ValueError(f"invalid placeholder in template {kind}/{locale}: {text!r}")
        self._templates.setdefault(kind, {})[locale] = template

    def kinds(self) -> list[str]:
        return sorted(self._templates)

    def get(self, kind: str, locale: str) -> MessageTemplate:
        try:
            by_locale = self._templates[kind]
        except KeyError:
            raise TemplateError(f"no template for kind {kind!r}") from None
        template = by_locale.get(locale) or by_locale.get(DEFAULT_LOCALE)
        if template is None:
            raise TemplateError(f"no template for kind {kind!r} in {locale!r}")
        return template

    def render(self, kind: str, locale: str, context: Mapping[str, object],
               tz: tzinfo = CHINA_STANDARD_TIME) -> RenderedMessage:
        template = self.get(kind, locale)
        values = {key: format_value(value, tz, locale) for key, value in context.items()}
        try:
            return RenderedMessage(
                title=Template(template.title).substitute(values),
                body=Template(template.body).substitute(values),
            )
        except KeyError as missing:
            raise TemplateError(f"template {kind}/{locale} needs {missing} in the context") from None


# Fixed phrases around the message body in e-mails, per locale.
EMAIL_LINK_LABEL = {ZH_CN: "查看详情：", EN: "Details: "}
EMAIL_FOOTER = {
    ZH_CN: "（本邮件由督办系统自动发送，请勿直接回复。）",
    EN: "(Sent automatically by Duban. Please do not reply to this e-mail.)",
}

# Every template may use ${recipient_name}; enqueue fills it in from the Recipient.
_DEFAULTS = {
    "task.assigned": {
        ZH_CN: ("【待办】${case}：${task_name}",
                "${recipient_name}，您好！「${case}」（${process_name}）有一项新的待办任务「${task_name}」，"
                "请于 ${due_at} 前办理。"),
        EN: ("[New task] ${case}: ${task_name}",
             "Dear ${recipient_name}, a new task \"${task_name}\" of ${case} (${process_name}) has been "
             "assigned to you. Please complete it by ${due_at}."),
    },
    "task.reminder": {
        ZH_CN: ("【催办】${case}：${task_name}",
                "${recipient_name}，您好！「${case}」（${process_name}）的任务「${task_name}」将于 ${due_at} 到期，"
                "请抓紧办理并在规定期限内反馈。"),
        EN: ("[Reminder] ${case}: ${task_name}",
             "Dear ${recipient_name}, the task \"${task_name}\" of ${case} (${process_name}) is due at "
             "${due_at}. Please complete it and report back within the deadline."),
    },
    "task.overdue": {
        ZH_CN: ("【逾期】${case}：${task_name}",
                "${recipient_name}，您好！「${case}」（${process_name}）的任务「${task_name}」已于 ${due_at} 逾期，"
                "请立即办理并说明逾期原因。"),
        EN: ("[Overdue] ${case}: ${task_name}",
             "Dear ${recipient_name}, the task \"${task_name}\" of ${case} (${process_name}) became overdue "
             "at ${due_at}. Please complete it now and explain the delay."),
    },
    "escalation.raised": {
        ZH_CN: ("【升级】${case}：${task_name}",
                "${recipient_name}，您好！${unit_name}承办的「${case}」（${process_name}）任务「${task_name}」"
                "未在 ${due_at} 前办结，已升级至您处处理。升级原因：${reason}。"),
        EN: ("[Escalation] ${case}: ${task_name}",
             "Dear ${recipient_name}, the task \"${task_name}\" of ${case} (${process_name}), handled by "
             "${unit_name}, was not closed by ${due_at} and has been escalated to you: ${reason}."),
    },
    "supervision.started": {
        ZH_CN: ("【督办】${case}：${task_name}",
                "${recipient_name}，您好！「${case}」的任务「${task_name}」已由${office_name}列入督办事项"
                "（督办事由：${reason}），请于 ${due_at} 前报送办理进展。"),
        EN: ("[Supervision] ${case}: ${task_name}",
             "Dear ${recipient_name}, the task \"${task_name}\" of ${case} has been placed under supervision "
             "by ${office_name} (${reason}). Please report progress by ${due_at}."),
    },
    "accountability.opened": {
        ZH_CN: ("【问责】${unit_name}：${case}",
                "${recipient_name}，您好！因「${case}」${reason}，已对${unit_name}启动问责程序，"
                "请于 ${due_at} 前提交书面说明。"),
        EN: ("[Accountability] ${unit_name}: ${case}",
             "Dear ${recipient_name}, accountability proceedings have been opened against "
             "${unit_name} concerning ${case} (${reason}). Please submit a written "
             "statement by ${due_at}."),
    },
}


def default_registry() -> TemplateRegistry:
    registry = TemplateRegistry()
    for kind, by_locale in _DEFAULTS.items():
        for locale, (title, body) in by_locale.items():
            registry.register(kind, locale, title, body)
    return registry


DEFAULT_REGISTRY = default_registry()
