"""Bad input is refused with a message naming the field, and leaves nothing behind.

Task submissions go through `validate_submission(load_form(task.form_key), ...)`
as the web app does; leads through `register_lead` inside the engine command
that starts their process. Row counts of every record and engine table are
compared before and after.
"""
import pytest

from domain.errors import ValidationFailed
from domain.leads import register_lead
from domain.models import Lead, Subject
from engine.errors import NotFound
from engine.store.models import HumanTask
from tests import scenario_support as s

campaign = s.campaign  # the fixture: the four processes deployed, demo units and users


def reach(c, element) -> int:
    """An instance waiting at `element`."""
    if element == "triage_lead":
        return c.start_lead()[0]
    if element == "accept_lead":
        instance_id, _ = c.start_lead()
        c.complete("triage_lead", s.triage_dispatch(), instance_id)
        return instance_id
    if element == "verify_lead":
        return c.dispatched_lead()[0]
    if element in ("assess_risk", "issue_rectification_order"):
        instance_id = c.start_risk_disposal(subject_id=c.create_subject(), responsible_unit="market")
        if element == "issue_rectification_order":
            c.complete("assess_risk", s.assess(), instance_id)
            c.complete("warning_interview", s.interview(), instance_id)
            c.complete("decide_measures", s.measures(rectify=True), instance_id)
        return instance_id
    if element in ("submit_rectification", "accept_rectification"):
        _, instance_id = c.ordered_rectification()
        if element == "accept_rectification":
            c.complete("submit_rectification", s.submit_rectification(), instance_id)
        return instance_id
    raise AssertionError(element)


BAD_SUBMISSIONS = [
    # id, element, raw submission, field, message (zh)
    ("missing_field", "verify_lead", s.verify(findings=None), "findings", "核查情况为必填项"),
    ("blank_field", "verify_lead", s.verify(findings="   "), "findings", "核查情况为必填项"),
    ("not_an_integer", "verify_lead", s.verify(people_involved="三十五"), "people_involved", "涉及老年人数必须是整数"),
    ("not_a_number", "assess_risk", s.assess(money_at_risk="很多"), "money_at_risk", "风险敞口（涉及金额，元）必须是数字"),
    ("not_a_date", "verify_lead", s.verify(verified_on="3月4日"), "verified_on",
     "核实日期不是有效的日期（格式：2026-03-01）"),
    ("bad_credit_code", "verify_lead", s.verify(subject_credit_code="91350582MA8UB3C2X0"), "subject_credit_code",
     "统一社会信用代码不是有效的统一社会信用代码"),
    ("not_an_option", "assess_risk", s.assess(grade="purple"), "grade", "风险等级的取值无效"),
    ("unknown_unit", "triage_lead", s.triage_dispatch(unit="market_bureau"), "responsible_unit",
     "责任单位不是有效的单位"),
    ("too_many_workdays", "triage_lead", s.triage_dispatch(workdays=90), "feedback_workdays",
     "反馈期限（工作日）不能大于60"),
    ("required_when_major", "triage_lead", s.triage_dispatch(major=True, major_reason=None), "major_reason",
     "列为重大线索的理由为必填项"),
    ("required_when_returning", "accept_lead", s.return_lead(return_reason=None), "return_reason",
     "退回理由为必填项"),
    ("deadline_in_the_past", "issue_rectification_order", s.rectify_order("2026-03-01T18:00"), "rectify_deadline",
     "整改期限不能早于当前时间"),
    ("deadline_without_time", "issue_rectification_order", s.rectify_order("2026-03-31"), "rectify_deadline",
     "整改期限不是有效的日期时间（格式：2026-03-01T09:00）"),
    ("new_deadline_in_the_past", "accept_rectification",
     s.accept_rectification("send_back", new_deadline="2026-03-02T08:00"), "new_deadline", "新的整改期限不能早于当前时间"),
    ("evidence_missing", "submit_rectification", s.submit_rectification(evidence=[]), "evidence", "佐证材料为必填项"),
]


@pytest.mark.parametrize("element,raw,field,text", [case[1:] for case in BAD_SUBMISSIONS],
                         ids=[case[0] for case in BAD_SUBMISSIONS])
def test_bad_task_submission_is_refused_naming_the_field_and_the_task_stays_open(campaign, element, raw, field,
                                                                                  text):
    c = campaign
    instance_id = reach(c, element)
    task = c.task(element, instance_id)
    before, version = c.row_counts(), c.instance(instance_id).lock_version

    with pytest.raises(ValidationFailed) as refused:
        c.complete(element, raw, instance_id)
    assert refused.value.messages == {field: [text]}
    assert text in str(refused.value)

    assert c.row_counts() == before
    assert c.get(HumanTask, task.id).status == "open" and c.get(HumanTask, task.id).assignee is None
    assert c.instance(instance_id).lock_version == version
    assert [e.action for e in c.events(instance_id) if e.task_id == task.id] == ["task.created"]


def test_messages_follow_the_users_language(campaign):
    c = campaign
    instance_id = reach(c, "verify_lead")
    c.locale = "en"
    with pytest.raises(ValidationFailed) as refused:
        c.complete("verify_lead", s.verify(findings=None, people_involved="-3"), instance_id)
    assert refused.value.messages == {"findings": ["Findings is required"],
                                      "people_involved": ["Elderly people involved must be at least 0"]}


def test_corrected_submission_goes_through_after_a_refusal(campaign):
    c = campaign
    instance_id = reach(c, "issue_rectification_order")
    with pytest.raises(ValidationFailed):
        c.complete("issue_rectification_order", s.rectify_order("2026-03-01T18:00"), instance_id)
    c.complete("issue_rectification_order", s.rectify_order("2026-03-31T18:00"), instance_id)
    assert c.instance(instance_id).status == "completed"
    assert c.measures() == ["warning_interview", "order_rectify"]


BAD_LEADS = [
    # id, overrides of the registration, field, message (zh)
    ("bad_credit_code", {"subject_credit_code": "91350582MA8UB3C2X0"}, "subject_credit_code",
     ["涉及机构/企业统一社会信用代码不是有效的统一社会信用代码"]),
    ("summary_missing", {"summary": None}, "summary", ["线索内容为必填项"]),
    ("received_in_the_future", {"received_at": "2026-03-03T09:00"}, "received_at", ["接收时间不能晚于当前时间"]),
    ("feedback_deadline_in_the_past", {"feedback_deadline": "2026-02-27"}, "feedback_deadline",
     ["反馈期限不能早于当前时间"]),
    ("unknown_channel", {"channel": "wechat"}, "channel", ["线索来源的取值无效"]),
    ("unknown_unit", {"responsible_unit": "market_bureau"}, "responsible_unit", ["责任单位不是有效的单位"]),
    ("reporter_without_identity", {"reporter": {"contact": "微信 lj1122"}}, "reporter",
     {"name": ["非匿名举报须填写举报人姓名或联系电话"]}),
    ("reporter_bad_phone", {"reporter": {"name": "李建平", "phone": "12345"}}, "reporter",
     {"phone": ["联系电话不是有效的电话号码"]}),
    ("unknown_subject", {"subject_id": 999999, "subject_name": None, "subject_credit_code": None}, "subject_id",
     ["涉及机构/企业不存在"]),
    ("new_code_without_name", {"subject_name": None}, "subject_name", ["请填写涉及机构/企业名称或选择已登记的机构/企业"]),
]


@pytest.mark.parametrize("overrides,field,expected", [case[1:] for case in BAD_LEADS],
                         ids=[case[0] for case in BAD_LEADS])
def test_bad_lead_is_refused_naming_the_field_and_neither_lead_nor_process_is_saved(campaign, overrides, field,
                                                                                     expected):
    c = campaign
    c.start_lead(channel="platform_12337", subject_name="晋江市颐和养老公寓", subject_credit_code=None)  # not empty
    before = c.row_counts()

    with pytest.raises(ValidationFailed) as refused:
        c.start_lead(**overrides)
    assert refused.value.messages[field] == expected

    assert c.row_counts() == before
    assert [lead.subject_name for lead in c.all(Lead)] == ["晋江市颐和养老公寓"]
    assert c.all(Subject, Subject.credit_code == s.SUBJECT_CODE) == []


def test_lead_is_not_saved_when_its_process_cannot_start(campaign):
    c = campaign
    before = c.row_counts()
    with pytest.raises(NotFound, match="lead_intake"):
        c.engine.start("lead_intake", actor=c.actor("office.officer"),
                       prepare=lambda session: {"lead_id": register_lead(session, c.lead_data(),
                                                                         c.actor("office.officer")).id})
    assert c.row_counts() == before
    assert c.all(Lead) == []
