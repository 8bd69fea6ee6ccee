"""Record schemas: bad input is rejected with messages naming the field."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from domain import schemas
from domain.errors import ValidationFailed
from domain.models import NumberCounter, RectificationItem, Subject
from domain.records import create_rectification_item, create_subject

GOOD_CODE = "91440300708461136T"
LEAD = {"channel": "hotline_12345", "received_at": "2026-03-01T10:00", "sector": "tourism_art",
        "summary": "市民反映某旅游公司组织“99元三日游”，安排老人进店购物。"}


def _errors(load, data, *args, **kwargs):
    with pytest.raises(ValidationFailed) as failed:
        load(data, *args, **kwargs)
    return failed.value.messages


def test_missing_lead_fields_are_named_in_chinese_and_english(clock):
    zh = _errors(schemas.load_lead_registration, {})
    assert zh == {"channel": ["线索来源为必填项"], "received_at": ["接收时间为必填项"],
                  "summary": ["线索内容为必填项"], "sector": ["整治领域为必填项"]}
    en = _errors(schemas.load_lead_registration, {}, "en")
    assert en["summary"] == ["Summary is required"]


@pytest.mark.parametrize("change, field, text", [
    ({"summary": 42}, "summary", "线索内容必须是文本"),
    ({"channel": "wechat"}, "channel", "线索来源的取值无效"),
    ({"received_at": "yesterday"}, "received_at", "接收时间不是有效的日期时间"),
    ({"received_at": "2026-03-09T10:00"}, "received_at", "接收时间不能晚于当前时间"),
    ({"feedback_deadline": "2026-02-27T17:00"}, "feedback_deadline", "反馈期限不能早于当前时间"),
    ({"subject_credit_code": "91440300708461136A"}, "subject_credit_code", "不是有效的统一社会信用代码"),
    ({"subject_id": "abc"}, "subject_id", "必须是整数"),
    ({"subject_id": 1.5}, "subject_id", "必须是整数"),
    ({"major": "maybe"}, "major", "重大线索必须为“是”或“否”"),
    ({"summary": "骗" * 4001}, "summary", "不能超过4000个字符"),
    ({"responsible_unit": "Market!"}, "responsible_unit", "责任单位不是有效的单位"),
])
def test_bad_lead_input_names_the_field(clock, change, field, text):
    errors = _errors(schemas.load_lead_registration, {**LEAD, **change})
    assert list(errors) == [field]
    assert text in errors[field][0]


def test_reporter_errors_are_nested_under_reporter(clock):
    errors = _errors(schemas.load_lead_registration, {**LEAD, "reporter": {"phone": "138"}}, "en")
    assert errors == {"reporter": {"phone": ["Phone is not a valid phone number"]}}
    errors = _errors(schemas.load_lead_registration, {**LEAD, "reporter": {"contact": "微信 abc"}})
    assert errors == {"reporter": {"name": ["非匿名举报须填写举报人姓名或联系电话"]}}
    errors = _errors(schemas.load_lead_registration, {**LEAD, "reporter": "张三"})
    assert list(errors) == ["reporter"]


def test_good_lead_input_is_cleaned(clock):
    values = schemas.load_lead_registration({
        **LEAD, "summary": "  内容  ", "major": "true", "subject_id": "3", "unknown": "dropped", "external_ref": "",
        "feedback_deadline": "2026-03-13", "subject_credit_code": "9144030071526726xg",
        "reporter": {"name": "张三", "phone": "138 1234 5678"}})
    assert values["summary"] == "内容" and values["major"] is True and values["subject_id"] == 3
    assert "unknown" not in values and "external_ref" not in values
    # a deadline given as a date means the end of that day in Beijing
    assert values["feedback_deadline"] == datetime(2026, 3, 13, 15, 59, 59, tzinfo=timezone.utc)
    assert values["subject_credit_code"] == "9144030071526726XG"
    assert values["reporter"] == {"anonymous": False, "name": "张三", "phone": "13812345678"}


def test_subject_schema(session):
    assert _errors(schemas.load_subject, {"credit_code": "123"}) == {
        "name": ["名称为必填项"], "credit_code": ["统一社会信用代码不是有效的统一社会信用代码"]}
    assert _errors(schemas.load_subject, {"name": "某公司", "sector": "casino"}, "en") == {
        "sector": ["Sector: invalid choice"]}
    subject = create_subject(session, {"name": "深圳某公司", "credit_code": GOOD_CODE}, "office.officer")
    assert subject.id and subject.credit_code == GOOD_CODE
    errors = _errors(create_subject, session, {"name": "另一公司", "credit_code": GOOD_CODE.lower()}, "x")
    assert errors == {"credit_code": ["统一社会信用代码已被其他机构/企业使用"]}


def _item(**overrides):
    data = {"problem": "内设医务室无执业许可。", "measures": "停止诊疗活动；签订医养结合协议。",
            "responsible_unit": "health", "deadline": "2026-03-20T18:00", "responsible_person": "许某"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("change, field, text", [
    ({"problem": None}, "problem", "问题为必填项"),
    ({"measures": "   "}, "measures", "整改措施为必填项"),
    ({"deadline": "2026-03-01T18:00"}, "deadline", "整改期限不能早于当前时间"),
    ({"deadline": "next week"}, "deadline", "整改期限不是有效的日期时间"),
    ({"responsible_unit": "ghost_unit"}, "responsible_unit", "责任单位不是有效的单位"),
    ({"evidence": "scan.pdf"}, "evidence", "整改材料包含无效的附件"),
])
def test_bad_rectification_input_names_the_field(session, change, field, text):
    errors = _errors(create_rectification_item, session, _item(**change), "office.officer")
    assert list(errors) == [field]
    assert text in errors[field][0]


def test_unknown_references_are_rejected_and_nothing_is_saved(session):
    errors = _errors(create_rectification_item, session, _item(subject_id=77, lead_id=78), "office.officer", "en")
    assert errors == {"subject_id": ["Institution/enterprise does not exist"], "lead_id": ["Lead does not exist"]}
    session.commit()
    for model in (RectificationItem, NumberCounter, Subject):
        assert session.scalar(select(func.count()).select_from(model)) == 0


def test_a_valid_rectification_item_is_opened(session):
    item = create_rectification_item(session, _item(evidence=[12, "att-7"]), "office.officer")
    assert item.number == "ZG-2026-000001" and item.status == "open"
    assert item.deadline == datetime(2026, 3, 20, 10, 0, tzinfo=timezone.utc)
    assert item.evidence == [12, "att-7"]
