"""Templates, locales, backoff arithmetic and signatures (no database)."""
from datetime import datetime, timedelta, timezone

import pytest

from notifications import (DEFAULT_REGISTRY, EN, ZH_CN, RetryPolicy, TemplateError,
                           TemplateRegistry, sign, verify)
from notifications.templates import normalize_locale

DUE = datetime(2024, 5, 31, 9, 30, tzinfo=timezone.utc)  # 17:30 in Beijing

TASK_CONTEXT = {
    "recipient_name": "王力",
    "task_name": "核实线索",
    "case": "XS-2024-000042 晋江市福寿康养老服务有限公司",
    "process_name": "线索核查",
    "due_at": DUE,
}


def test_every_kind_has_chinese_and_english_with_the_same_placeholders():
    expected = {"task.assigned", "task.reminder", "task.overdue", "escalation.raised",
                "supervision.started", "accountability.opened"}
    assert expected <= set(DEFAULT_REGISTRY.kinds())
    for kind in DEFAULT_REGISTRY.kinds():
        zh = DEFAULT_REGISTRY.get(kind, ZH_CN)
        en = DEFAULT_REGISTRY.get(kind, EN)
        assert zh is not en
        assert zh.placeholders() == en.placeholders(), kind


def test_reminder_renders_in_chinese_with_beijing_time():
    message = DEFAULT_REGISTRY.render("task.reminder", ZH_CN, TASK_CONTEXT)
    assert message.title == "【催办】XS-2024-000042 晋江市福寿康养老服务有限公司：核实线索"
    assert "王力，您好" in message.body
    assert "2024-05-31 17:30" in message.body
    assert "规定期限内反馈" in message.body


def test_reminder_renders_in_english():
    message = DEFAULT_REGISTRY.render("task.reminder", EN, TASK_CONTEXT)
    assert message.title == "[Reminder] XS-2024-000042 晋江市福寿康养老服务有限公司: 核实线索"
    assert message.body.startswith("Dear 王力,")
    assert "due at 2024-05-31 17:30" in message.body


def test_supervision_and_accountability_render():
    supervision = DEFAULT_REGISTRY.render("supervision.started", ZH_CN, {
        "recipient_name": "李主任", "case": "XS-2024-000042 晋江市福寿康养老服务有限公司", "task_name": "核实线索",
        "office_name": "区专项办", "reason": "重大线索", "due_at": DUE})
    assert supervision.title == "【督办】XS-2024-000042 晋江市福寿康养老服务有限公司：核实线索"
    assert "区专项办列入督办事项（督办事由：重大线索）" in supervision.body
    accountability = DEFAULT_REGISTRY.render("accountability.opened", EN, {
        "recipient_name": "Head Zhang", "case": "DB-2024-000003 monthly report", "reason": "overdue twice",
        "unit_name": "Market Regulation Office", "due_at": DUE})
    assert accountability.title == "[Accountability] Market Regulation Office: DB-2024-000003 monthly report"


def test_values_in_both_languages_render_in_the_recipients():
    context = dict(TASK_CONTEXT, unit_name={"zh": "新塘市场监督管理所", "en": "Xintang Market Regulation Station"},
                   reason={"zh": "超过办理期限未办结", "en": "it was not completed by its deadline"})
    chinese = DEFAULT_REGISTRY.render("escalation.raised", ZH_CN, context)
    english = DEFAULT_REGISTRY.render("escalation.raised", EN, context)
    assert chinese.title == "【升级】XS-2024-000042 晋江市福寿康养老服务有限公司：核实线索"
    assert "新塘市场监督管理所承办的" in chinese.body and "升级原因：超过办理期限未办结。" in chinese.body
    assert "handled by Xintang Market Regulation Station" in english.body
    assert english.body.endswith("escalated to you: it was not completed by its deadline.")
    # A value given in one language only reads in it for everyone.
    assert "新塘所" in DEFAULT_REGISTRY.render("escalation.raised", EN, dict(context, unit_name={"zh": "新塘所"})).body


def test_missing_placeholder_is_an_error():
    context = dict(TASK_CONTEXT)
    del context["due_at"]
    with pytest.raises(TemplateError, match="due_at"):
        DEFAULT_REGISTRY.render("task.reminder", ZH_CN, context)


def test_unknown_kind_is_an_error():
    with pytest.raises(TemplateError):
        DEFAULT_REGISTRY.render("no.such.kind", ZH_CN, TASK_CONTEXT)


def test_templates_cannot_reach_attributes_or_expand_values():
    registry = TemplateRegistry()
    with pytest.raises(ValueError):
        registry.register("evil", ZH_CN, "${user.__class__}", "x")
    with pytest.raises(ValueError):
        registry.register("evil", ZH_CN, "ok", "${a[0]}")
    # str.format syntax is inert text here.
    registry.register("inert", ZH_CN, "{name.__class__.__init__.__globals__}", "-")
    assert registry.render("inert", ZH_CN, {"name": "x"}).title == "{name.__class__.__init__.__globals__}"
    registry.register("plain", ZH_CN, "${name}", "${name}")
    # A value that looks like a placeholder is inserted literally, not expanded again.
    assert registry.render("plain", ZH_CN, {"name": "${secret}"}).title == "${secret}"


def test_naive_datetime_in_context_is_rejected():
    context = dict(TASK_CONTEXT, due_at=datetime(2024, 5, 31, 9, 30))
    with pytest.raises(TemplateError):
        DEFAULT_REGISTRY.render("task.reminder", ZH_CN, context)


@pytest.mark.parametrize("given, expected", [
    (None, ZH_CN), ("", ZH_CN), ("zh", ZH_CN), ("zh-CN", ZH_CN), ("zh_Hans_CN", ZH_CN),
    ("en", EN), ("en_US", EN), ("en-GB", EN), ("fr", ZH_CN),
])
def test_locale_normalisation(given, expected):
    assert normalize_locale(given) == expected


def test_unknown_locale_falls_back_to_chinese():
    message = DEFAULT_REGISTRY.render("task.assigned", "fr", TASK_CONTEXT)
    assert message.title.startswith("【待办】")


def test_backoff_doubles_up_to_the_cap():
    policy = RetryPolicy(base=timedelta(seconds=30), factor=2, cap=timedelta(minutes=5), max_attempts=6)
    delays = [policy.delay(n).total_seconds() for n in range(1, 8)]
    assert delays == [30, 60, 120, 240, 300, 300, 300]
    assert policy.delay(10_000) == timedelta(minutes=5)
    assert not policy.exhausted(5) and policy.exhausted(6)


def test_backoff_rejects_nonsense():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base=timedelta(minutes=10), cap=timedelta(minutes=1))


def test_signature_is_hmac_sha256_of_the_raw_body():
    body = '{"title":"【催办】"}'.encode("utf-8")
    signature = sign("s3cret", body)
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert verify("s3cret", body, signature)
    assert not verify("other", body, signature)
    assert not verify("s3cret", body + b" ", signature)
    assert not verify("s3cret", body, None)
    assert not verify("s3cret", body, signature.removeprefix("sha256="))
