"""Task forms: loading a form JSON and validating a submission against it."""
import json

import pytest

from domain.errors import ValidationFailed
from domain.forms import FormError, check_form, form_path, load_form, validate_submission

VERIFY_FORM = {
    "key": "lead/verify",
    "title": {"zh": "核实线索", "en": "Verify the lead"},
    "fields": [
        {"id": "result", "type": "enum", "required": True, "label": {"zh": "核实结果", "en": "Result"},
         "options": [{"value": "substantiated", "label": {"zh": "属实", "en": "Substantiated"}},
                     {"value": "partly", "label": {"zh": "部分属实", "en": "Partly substantiated"}},
                     {"value": "not_substantiated", "label": {"zh": "不属实", "en": "Not substantiated"}}]},
        {"id": "findings", "type": "textarea", "required": True, "max_length": 20,
         "label": {"zh": "核查情况", "en": "Findings"}},
        {"id": "people_involved", "type": "integer", "min": 0, "max": 100000,
         "label": {"zh": "涉众人数", "en": "People involved"}, "visible_if": "result != 'not_substantiated'"},
        {"id": "money_at_risk", "type": "number", "min": 0, "label": {"zh": "涉案金额", "en": "Money at risk"}},
        {"id": "major", "type": "boolean", "default": False, "label": {"zh": "重大线索", "en": "Major"}},
        {"id": "visited_on", "type": "date", "label": {"zh": "走访日期", "en": "Visited on"}},
        {"id": "next_check", "type": "datetime", "future": True, "label": {"zh": "复查时间", "en": "Next check"}},
        {"id": "measures", "type": "multienum", "label": {"zh": "处置措施", "en": "Measures"},
         "options": [{"value": "risk_warning", "label": {"zh": "风险提示", "en": "Risk warning"}},
                     {"value": "order_rectify", "label": {"zh": "责令整改", "en": "Order to rectify"}}]},
        {"id": "transfer_to", "type": "unit", "label": {"zh": "移交单位", "en": "Transfer to"},
         "visible_if": "${major}"},
        {"id": "credit_code", "type": "credit_code", "label": {"zh": "统一社会信用代码", "en": "Credit code"}},
        {"id": "contact_phone", "type": "phone", "label": {"zh": "联系电话", "en": "Phone"}},
        {"id": "evidence", "type": "file", "label": {"zh": "证据材料", "en": "Evidence"}},
    ],
}
UNITS = {"office", "market", "police"}


@pytest.fixture
def forms_dir(tmp_path):
    path = tmp_path / "forms" / "lead" / "verify.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(VERIFY_FORM, ensure_ascii=False), encoding="utf-8")
    return tmp_path / "forms"


@pytest.fixture
def form(forms_dir):
    return load_form("lead/verify", forms_dir)


def _errors(form, data, locale="zh"):
    with pytest.raises(ValidationFailed) as failed:
        validate_submission(form, data, locale, UNITS)
    return failed.value.messages


def test_a_form_is_loaded_from_its_key(form):
    assert form["title"]["zh"] == "核实线索"
    assert [field["id"] for field in form["fields"]][:2] == ["result", "findings"]


def test_missing_and_malformed_forms_are_reported(forms_dir):
    with pytest.raises(FormError, match="no file"):
        load_form("lead/absent", forms_dir)
    with pytest.raises(FormError):
        form_path("../secrets")
    (forms_dir / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(FormError, match="cannot read"):
        load_form("broken", forms_dir)


def test_form_definitions_are_checked():
    problems = check_form({"fields": [
        {"id": "a", "type": "colour"},
        {"id": "a", "type": "text"},
        {"id": "b", "type": "enum"},
        {"id": "c", "type": "integer", "min": 5, "max": 1},
        {"id": "d", "type": "text", "visible_if": "__import__('os')"},
        {"type": "text"},
    ]})
    assert len(problems) == 6
    assert check_form(VERIFY_FORM) == []


def test_a_good_submission_becomes_json_ready_variables(form, clock):
    values = validate_submission(form, {
        "result": "partly", "findings": " 已现场核查 ", "people_involved": "35", "money_at_risk": "380000.5",
        "major": "true", "visited_on": "2026-03-01", "next_check": "2026-03-10T09:00",
        "measures": ["risk_warning", "order_rectify", "risk_warning"], "transfer_to": "market",
        "credit_code": "9144030071526726xg", "contact_phone": "0595-85551234", "evidence": [3, "a-9"],
        "csrf_token": "dropped"}, "zh", UNITS)
    assert values == {
        "result": "partly", "findings": "已现场核查", "people_involved": 35, "money_at_risk": 380000.5,
        "major": True, "visited_on": "2026-03-01", "next_check": "2026-03-10T01:00:00+00:00",
        "measures": ["risk_warning", "order_rectify"], "transfer_to": "market",
        "credit_code": "9144030071526726XG", "contact_phone": "0595-85551234", "evidence": [3, "a-9"]}
    json.dumps(values)


def test_required_fields_and_defaults(form, clock):
    assert _errors(form, {}) == {"result": ["核实结果为必填项"], "findings": ["核查情况为必填项"]}
    assert _errors(form, {"findings": ""}, "en") == {"result": ["Result is required"],
                                                     "findings": ["Findings is required"]}
    values = validate_submission(form, {"result": "partly", "findings": "ok"})
    assert values == {"result": "partly", "findings": "ok", "major": False}


@pytest.mark.parametrize("change, field, zh, en", [
    ({"result": "maybe"}, "result", "核实结果的取值无效", "Result: invalid choice"),
    ({"findings": "字" * 21}, "findings", "核查情况不能超过20个字符", "Findings must be at most 20 characters"),
    ({"people_involved": -1}, "people_involved", "涉众人数不能小于0", "People involved must be at least 0"),
    ({"people_involved": 100001}, "people_involved", "涉众人数不能大于100000", "People involved must be at most 100000"),
    ({"people_involved": "3.5"}, "people_involved", "涉众人数必须是整数", "People involved must be a whole number"),
    ({"money_at_risk": "many"}, "money_at_risk", "涉案金额必须是数字", "Money at risk must be a number"),
    ({"money_at_risk": True}, "money_at_risk", "涉案金额必须是数字", "Money at risk must be a number"),
    ({"major": "perhaps"}, "major", "重大线索必须为“是”或“否”", "Major must be yes or no"),
    ({"visited_on": "2026-02-30"}, "visited_on", "走访日期不是有效的日期", "Visited on is not a valid date"),
    ({"next_check": "2026-03-01T09:00"}, "next_check", "复查时间不能早于当前时间", "Next check cannot be in the past"),
    ({"next_check": "2026-03-10"}, "next_check", "复查时间不是有效的日期时间", "Next check is not a valid date and time"),
    ({"measures": ["risk_warning", "jail"]}, "measures", "处置措施的取值无效", "Measures: invalid choice"),
    ({"measures": "risk_warning"}, "measures", "处置措施的取值无效", "Measures: invalid choice"),
    ({"major": True, "transfer_to": "court"}, "transfer_to", "移交单位不是有效的单位",
     "Transfer to is not a known unit"),
    ({"credit_code": "91440300708461136A"}, "credit_code", "统一社会信用代码不是有效的统一社会信用代码",
     "Credit code is not a valid unified social credit code"),
    ({"contact_phone": "12"}, "contact_phone", "联系电话不是有效的电话号码", "Phone is not a valid phone number"),
    ({"evidence": [0]}, "evidence", "证据材料包含无效的附件", "Evidence contains an invalid attachment"),
])
def test_bad_values_are_keyed_by_field_id_in_both_languages(form, clock, change, field, zh, en):
    data = {"result": "partly", "findings": "ok", **change}
    for locale, expected in (("zh", zh), ("en_US", en)):
        errors = _errors(form, data, locale)
        assert list(errors) == [field]
        [text] = errors[field]
        assert text.startswith(expected)  # date messages go on with an example


def test_hidden_fields_are_neither_required_nor_kept(form, clock):
    values = validate_submission(form, {"result": "not_substantiated", "findings": "查无此事", "people_involved": 5,
                                        "transfer_to": "police"}, "zh", UNITS)
    assert "people_involved" not in values  # visible_if result != 'not_substantiated'
    assert "transfer_to" not in values       # visible_if ${major}, and major defaults to False
    # a hidden field's bad value does not block the submission either
    values = validate_submission(form, {"result": "not_substantiated", "findings": "查无此事",
                                        "people_involved": "lots"})
    assert "people_involved" not in values


def test_a_required_field_shown_by_visible_if_is_required():
    form = {"key": "t", "fields": [
        {"id": "transfer", "type": "boolean", "label": {"zh": "是否移交", "en": "Transfer"}},
        {"id": "to_unit", "type": "unit", "required": True, "visible_if": "transfer",
         "label": {"zh": "移交单位", "en": "Transfer to"}}]}
    assert validate_submission(form, {"transfer": False}) == {"transfer": False}
    with pytest.raises(ValidationFailed) as failed:
        validate_submission(form, {"transfer": "on"})
    assert failed.value.messages == {"to_unit": ["移交单位为必填项"]}
    assert validate_submission(form, {"transfer": "on", "to_unit": "police"}) == {"transfer": True, "to_unit": "police"}


def test_a_submission_that_is_not_an_object_is_rejected(form):
    with pytest.raises(ValidationFailed):
        validate_submission(form, ["result", "partly"])
