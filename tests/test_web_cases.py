"""Case pages through the Flask test client: registering a lead (with its process, in one
transaction), the lead's case page (records, masked reporter, timeline, holders, diagram),
the subject page, the leads list, and who may see which."""
import re
from html import unescape

import pytest
from sqlalchemy import func, select, text

from domain.demo import credit_code
from domain.forms import load_form, validate_submission
from domain.models import Lead, NumberCounter, Reporter, Subject, User
from engine.errors import InvalidOperation
from engine.store.models import AuditEvent, HumanTask, ProcessInstance
from tests.browser_support import browser, live_server, page, screenshot, sign_in  # noqa: F401
from tests.conftest import csrf_token, login

NEW_CODE = credit_code("91350582MA8UB3C2X")
FUSHOUKANG = "晋江市福寿康养老服务有限公司"  # demo subject 0: its two leads are closed (one as a duplicate)
JINSE = "晋江市金色年华养老服务中心"  # demo subject 8: a lead on illegal fund-raising in hand (civil affairs)


def _good_form(**overrides):
    form = {"channel": "hotline_12345", "received_at": "2026-03-02T08:30", "external_ref": "12345-20260302-0042",
            "summary": "来电反映某养生馆以免费体检为名向老人推销高价保健品。", "subject_mode": "new",
            "subject_name": "晋江市康寿源健康管理有限公司", "subject_credit_code": NEW_CODE,
            "sector": "food_health_products", "major": "1", "reporter_name": "王秀英",
            "reporter_phone": "13905951234", "reporter_contact": ""}
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def _post_register(client, form):
    return client.post("/leads/new", data={**form, "csrf_token": csrf_token(client, "/leads/new")})


def _counts(session_factory):
    with session_factory() as s:
        return {model.__name__: s.scalar(select(func.count()).select_from(model))
                for model in (Lead, Reporter, Subject, ProcessInstance, HumanTask, NumberCounter)} | {
            "lead_numbers": s.scalar(select(func.sum(NumberCounter.value)))}


def _error(resp, field):
    """The message shown beside `field` (the element right under the input)."""
    match = re.search(rf'id="error-{re.escape(field.replace(".", "-"))}">([^<]*)<', resp.text)
    return unescape(match.group(1)) if match else None


def _lead(session_factory, **where):
    with session_factory() as s:
        return s.scalars(select(Lead).filter_by(**where).order_by(Lead.id)).first()


def _fushoukang_lead(session_factory):
    """The demo's first lead on 福寿康 (12337, reporter 王秀英 13905951234, graded yellow then red),
    handled by the enterprise service centre and closed."""
    with session_factory() as s:
        subject_id = s.scalar(select(Subject.id).where(Subject.name == FUSHOUKANG))
    return _lead(session_factory, subject_id=subject_id, duplicate_of_id=None)


def _lead_at_triage(session_factory, index=0):
    """A demo lead still with the office at 研判分流 (index 0: 沙塘社区“幸福食堂”, no institution on
    record; -1: the newest, 晋江市福瑞祥文化艺术有限公司)."""
    with session_factory() as s:
        instance_ids = s.scalars(select(HumanTask.instance_id).where(
            HumanTask.element_id == "triage_lead", HumanTask.status == "open").order_by(HumanTask.id)).all()
        return s.scalars(select(Lead).where(Lead.instance_id == instance_ids[index])).one()


def _actor(session_factory, username):
    with session_factory() as s:
        return s.scalar(select(User).where(User.username == username)).to_actor()


def _complete(app, session_factory, instance_id, element_id, raw, username):
    """Complete the open task of `element_id` as the web form would (validated by its form)."""
    from web import engine_of
    engine = engine_of(app)
    with session_factory() as s:
        task = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                 HumanTask.element_id == element_id,
                                                 HumanTask.status == "open")).one()
        form = load_form(task.form_key)
    actor = _actor(session_factory, username)
    engine.claim(task.id, actor)
    engine.complete(task.id, actor, validate_submission(form, raw, "zh"))


def _dispatch(app, session_factory, lead, unit="market"):
    _complete(app, session_factory, lead.instance_id, "triage_lead",
              {"triage_decision": "dispatch", "responsible_unit": unit, "feedback_workdays": "15", "major": "false",
               "triage_opinion": "分流核查"}, "office.officer")


# -- registering -----------------------------------------------------------------

def test_only_the_special_office_may_register(client):
    login(client, "market.officer")
    assert client.get("/leads/new").status_code == 403
    assert client.post("/leads/new", data={"csrf_token": csrf_token(client)}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    for username in ("office.officer", "office.leader", "admin"):
        login(client, username)
        resp = client.get("/leads/new")
        assert resp.status_code == 200, username
        assert "登记线索" in resp.text
        client.post("/logout", data={"csrf_token": csrf_token(client)})
    options = re.findall(r'<option value="([a-z_0-9]+)"', resp.text)
    for channel in ("platform_12337", "hotline_12345", "police_110", "financial_regulation", "market_regulation",
                    "grid_patrol", "superior_transfer", "leader_assignment", "department_transfer", "mass_report"):
        assert channel in options
    assert "12337举报平台" in resp.text and "群众举报" in resp.text


def test_registering_creates_the_lead_and_its_running_process_together(client, session_factory):
    login(client, "office.officer")
    before = _counts(session_factory)
    response = _post_register(client, _good_form())
    assert response.status_code == 302, response.text
    lead = _lead(session_factory, external_ref="12345-20260302-0042")
    assert response.headers["Location"].endswith(f"/leads/{lead.id}")
    with session_factory() as s:
        lead = s.get(Lead, lead.id)
        assert lead.status == "registered" and lead.major and lead.created_by == "office.officer"
        assert lead.subject.name == "晋江市康寿源健康管理有限公司" and lead.subject.credit_code == NEW_CODE
        assert lead.reporter.name == "王秀英" and lead.reporter.phone == "13905951234"
        raw = s.execute(text("SELECT name FROM reporter WHERE lead_id = :id"), {"id": lead.id}).scalar()
        assert "王秀英" not in raw  # encrypted at rest
        instance = s.get(ProcessInstance, lead.instance_id)
        assert instance.process_id == "lead_handling" and instance.status == "running"
        assert instance.business_key == lead.number
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).all()
        assert task.element_id == "triage_lead" and task.status == "open" and task.candidate_group_list == ["office"]
        number = lead.number
    after = _counts(session_factory)
    assert after["Lead"] == before["Lead"] + 1 and after["ProcessInstance"] == before["ProcessInstance"] + 1
    # The case page greets with the number; the office's inbox has the new triage task.
    resp = client.get(response.headers["Location"])
    assert number in resp.text and "已登记" in resp.text
    assert number in client.get("/inbox/").text


def test_a_failure_when_starting_the_process_leaves_no_lead(client, demo, session_factory, monkeypatch):
    from web import engine_of
    engine = engine_of(demo)

    def broken(*args, **kwargs):
        raise InvalidOperation("lead_handling cannot start: the process is being replaced")

    monkeypatch.setattr(engine, "_start_in", broken)
    login(client, "office.officer")
    before = _counts(session_factory)
    response = _post_register(client, _good_form())
    assert response.status_code == 422
    assert "the process is being replaced" in response.text
    assert 'value="12345-20260302-0042"' in response.text  # what was typed is kept
    assert _counts(session_factory) == before  # no lead, reporter, subject, number or instance
    assert _lead(session_factory, external_ref="12345-20260302-0042") is None
    monkeypatch.undo()
    assert _post_register(client, _good_form()).status_code == 302


def test_bad_input_is_refused_with_messages_beside_the_fields_and_the_input_kept(client, session_factory):
    login(client, "office.officer")
    before = _counts(session_factory)
    response = _post_register(client, _good_form(
        summary="", subject_credit_code="91350582MA8UB3C2Y", channel="wechat", received_at="2026-03-09T10:00",
        subject_name="晋江市某某养生馆", reporter_name="李四"))
    assert response.status_code == 422
    assert _error(response, "summary") == "线索内容为必填项"
    assert _error(response, "subject_credit_code") == "涉及机构/企业统一社会信用代码不是有效的统一社会信用代码"
    assert _error(response, "channel") == "线索来源的取值无效"
    assert _error(response, "received_at") == "接收时间不能晚于当前时间"
    assert 'value="91350582MA8UB3C2Y"' in response.text
    assert 'value="晋江市某某养生馆"' in response.text
    assert 'value="2026-03-09T10:00"' in response.text
    assert 'value="李四"' in response.text and 'value="13905951234"' in response.text
    assert re.search(r'<option value="food_health_products" selected>', response.text)
    assert 'name="major" value="1" id="major" checked' in response.text
    assert _counts(session_factory) == before


def test_other_field_errors_are_shown_where_they_belong(client, session_factory):
    login(client, "office.officer")
    response = _post_register(client, _good_form(reporter_name="", reporter_phone="12345", subject_mode="existing",
                                                 subject_id=""))
    assert response.status_code == 422
    assert _error(response, "reporter.phone") == "联系电话不是有效的电话号码"
    assert _error(response, "subject_id") == "涉及机构/企业为必填项"
    only_contact = _post_register(client, _good_form(reporter_name="", reporter_phone="", reporter_contact="微信 abc"))
    assert _error(only_contact, "reporter.name") == "非匿名举报须填写举报人姓名或联系电话"
    anonymous = _post_register(client, _good_form(reporter_name="", reporter_phone="", reporter_anonymous="1"))
    assert anonymous.status_code == 302


def test_a_likely_duplicate_is_shown_and_nothing_registered_until_confirmed(client, session_factory):
    login(client, "office.officer")
    with session_factory() as s:
        subject_id = s.scalar(select(Subject.id).where(Subject.name == JINSE))
    existing = _lead(session_factory, subject_id=subject_id, duplicate_of_id=None)
    before = _counts(session_factory)
    form = _good_form(subject_mode="existing", subject_id=str(subject_id), subject_name="", subject_credit_code="",
                      sector="illegal_fundraising", external_ref="", summary="又有老人反映金色年华终身会员卡无法退费。")
    response = _post_register(client, form)
    assert response.status_code == 409
    assert 'id="duplicate-warning"' in response.text and "疑似重复线索" in response.text
    assert f'href="/leads/{existing.id}" id="duplicate-link"' in response.text and existing.number in response.text
    assert f'name="register_anyway" value="{existing.id}"' in response.text
    assert "又有老人反映金色年华终身会员卡无法退费。" in response.text  # the form keeps what was typed
    assert _counts(session_factory) == before  # not registered, not merged, no number used

    # Confirming another lead than the one flagged does not count.
    stale = _post_register(client, {**form, "register_anyway": str(existing.id + 1000)})
    assert stale.status_code == 409 and _counts(session_factory) == before

    confirmed = _post_register(client, {**form, "register_anyway": str(existing.id)})
    assert confirmed.status_code == 302
    new = _lead(session_factory, summary="又有老人反映金色年华终身会员卡无法退费。")
    assert new.duplicate_of_id == existing.id and new.instance_id is not None
    resp = client.get(f"/leads/{new.id}")
    assert 'id="duplicate-of"' in resp.text and existing.number in resp.text


def test_a_channel_reference_registered_before_points_to_the_lead(client, session_factory):
    login(client, "office.officer")
    assert _post_register(client, _good_form()).status_code == 302
    first = _lead(session_factory, external_ref="12345-20260302-0042")
    again = _post_register(client, _good_form(summary="重复推送"))
    assert again.status_code == 422
    assert first.number in _error(again, "external_ref")
    assert f'href="/leads/{first.id}" id="existing-link"' in again.text


# -- the case page -----------------------------------------------------------------

def test_the_case_page_shows_records_masked_reporter_timeline_holders_and_diagram(client, session_factory):
    lead = _fushoukang_lead(session_factory)
    login(client, "office.officer")
    resp = client.get(f"/leads/{lead.id}")
    assert resp.status_code == 200
    text = resp.text
    assert resp.headers["Cache-Control"] == "no-store"
    # Records, with Chinese labels.
    for expected in (lead.number, "线索来源", "12337举报平台", "整治领域", "养老领域非法集资", FUSHOUKANG, "已办结",
                     "新塘街道企业服务中心"):
        assert expected in text, expected
    assert f'href="/subjects/{lead.subject_id}" id="subject-link"' in text
    # Grade history with its factors; the disposal; the reporter masked, no reveal button for an officer.
    assert "风险等级评定记录" in text and "红色" in text and "黄色" in text and "4,800,000" in text
    assert "移送公安/司法机关" in text
    assert "王*英" in text and "139****1234" in text
    assert "王秀英" not in text and "13905951234" not in text
    assert 'id="reveal-reporter"' not in text
    # Timeline: registration, the process start, the task, and on to its closure.
    timeline = text.split('id="timeline"')[1].split("</ol>")[0]
    assert timeline.index("登记线索") < timeline.index("启动流程") < timeline.index("生成待办")
    assert "线索核查" in timeline and "研判分流" in timeline and "报送办结情况" in timeline
    assert re.search(r"2026-0[123]-\d\d \d\d:\d\d", timeline)
    # Who holds a lead still with the office: its triage, with its due date and countdown.
    fresh = client.get(f"/leads/{_lead_at_triage(session_factory, -1).id}").text
    holders = fresh.split('id="holders"')[1].split("</section>")[0]
    assert "研判分流" in holders and "新塘街道专项办" in holders and re.search(r"剩\d+天", holders)
    # The diagram, from /vendor only, with the instance's XML and markers.
    assert "/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in text
    assert "/vendor/bpmn-js/assets/bpmn-js.css" in text and "/static/case-diagram.js" in text
    assert f'data-xml-url="/instances/{lead.instance_id}/diagram.xml"' in text
    assert f'data-markers-url="/instances/{lead.instance_id}/markers.json"' in text
    assert "cdn" not in text.lower()


def test_records_written_by_a_process_appear_on_its_case_timeline_in_plain_words(client, session_factory):
    lead = _fushoukang_lead(session_factory)
    with session_factory() as s:
        started = s.scalar(select(func.min(AuditEvent.at)).where(AuditEvent.instance_id == lead.instance_id))
        s.add_all([AuditEvent(at=started, actor="market.officer", action=action, instance_id=lead.instance_id,
                              data={"grade": "orange"})
                   for action in ("risk.graded", "disposal.recorded", "rectification.opened", "supervision.opened",
                                  "accountability.opened")])
        s.commit()
    login(client, "office.officer")
    timeline = client.get(f"/leads/{lead.id}").text.split('id="timeline"')[1].split("</ol>")[0]
    for words in ("评定风险等级", "记录处置措施", "建立整改事项", "立案督办", "启动问责"):
        assert words in timeline, words
    assert not re.search(r"<strong>[a-z]+\.[a-z]+</strong>", timeline)  # no raw action names


def test_the_diagram_xml_and_markers_follow_the_instance(client, demo, session_factory):
    lead = _lead_at_triage(session_factory)
    login(client, "office.officer")
    xml = client.get(f"/instances/{lead.instance_id}/diagram.xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b'<bpmn:process id="lead_handling"' in xml.data and b"bpmndi:BPMNDiagram" in xml.data
    markers = client.get(f"/instances/{lead.instance_id}/markers.json").get_json()
    assert markers["current"] == ["triage_lead"] and markers["current_names"] == ["研判分流"]
    assert {"start_lead", "gw_triage_merge"} <= set(markers["completed"])
    assert "triage_lead" not in markers["completed"]

    _dispatch(demo, session_factory, lead)
    markers = client.get(f"/instances/{lead.instance_id}/markers.json").get_json()
    assert markers["current"] == ["accept_lead"]
    assert {"start_lead", "triage_lead", "gw_triage", "dispatch_lead"} <= set(markers["completed"])
    resp = client.get(f"/leads/{lead.id}").text
    timeline = resp.split('id="timeline"')[1].split("</ol>")[0]
    assert "办理完成" in timeline and "更新线索" in timeline and "已分流" in timeline
    assert "新塘市场监督管理所" in resp.split('id="holders"')[1].split("</section>")[0]


def test_the_reporters_identity_is_refused_to_officers_and_audited_for_supervisors(client, session_factory):
    lead = _fushoukang_lead(session_factory)
    url = f"/leads/{lead.id}/reporter"

    def viewed():
        with session_factory() as s:
            return s.scalars(select(AuditEvent).where(AuditEvent.action == "reporter.viewed")).all()

    login(client, "office.officer")
    refused = client.post(url, data={"csrf_token": csrf_token(client), "reason": "核实举报内容"})
    assert refused.status_code == 403 and "王秀英" not in refused.text
    assert viewed() == []
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login(client, "office.supervisor")
    resp = client.get(f"/leads/{lead.id}")
    assert 'id="reveal-reporter"' in resp.text and "查看完整身份" in resp.text
    no_reason = client.post(url, data={"csrf_token": csrf_token(client), "reason": "  "})
    assert no_reason.status_code == 422 and _error(no_reason, "reason") == "请填写查看举报人身份的事由。"
    assert "王秀英" not in no_reason.text and viewed() == []
    shown = client.post(url, data={"csrf_token": csrf_token(client), "reason": "需回访举报人核实细节"})
    assert shown.status_code == 200
    assert "王秀英" in shown.text and "13905951234" in shown.text and 'id="reporter-viewed"' in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    [event] = viewed()
    assert event.actor == "office.supervisor" and event.reason == "需回访举报人核实细节"
    assert event.data["lead_id"] == lead.id and event.instance_id == lead.instance_id
    # The view is on the case's timeline; the identity is not in it.
    again = client.get(f"/leads/{lead.id}").text
    timeline = again.split('id="timeline"')[1].split("</ol>")[0]
    assert "查看举报人身份" in timeline and "需回访举报人核实细节" in timeline and "王秀英" not in again


def test_another_units_officer_cannot_see_the_case_or_its_diagram(client, demo, session_factory):
    lead = _lead_at_triage(session_factory, -1)
    _dispatch(demo, session_factory, lead, unit="market")
    urls = (f"/leads/{lead.id}", f"/instances/{lead.instance_id}/diagram.xml",
            f"/instances/{lead.instance_id}/markers.json", f"/subjects/{lead.subject_id}")
    login(client, "police.officer")
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/leads/{lead.id}/reporter",
                       data={"csrf_token": csrf_token(client), "reason": "x"}).status_code == 404
    assert client.get("/leads/999999").status_code == 404
    assert client.get("/instances/999999/diagram.xml").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login(client, "market.officer")  # the responsible unit now
    for url in urls:
        assert client.get(url).status_code == 200, url
    other = _lead_at_triage(session_factory)  # still with the office
    assert client.get(f"/leads/{other.id}").status_code == 404
    assert client.get(f"/instances/{other.instance_id}/diagram.xml").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login(client, "market.supervisor")  # supervises market: sees it, and may see the reporter
    assert client.get(f"/leads/{lead.id}").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "police.supervisor")
    assert client.get(f"/leads/{lead.id}").status_code == 404


def test_processes_started_for_the_lead_belong_to_its_case(client, demo, session_factory):
    """A graded disposal started with the lead's id (no business key) joins the case page,
    and the unit handling it may open the case, its diagrams and the subject."""
    from engine.identity import SYSTEM
    from web import engine_of
    lead = _fushoukang_lead(session_factory)
    risk = engine_of(demo).start("risk_disposal", {"subject_id": lead.subject_id, "lead_id": lead.id,
                                                   "responsible_unit": "civil_affairs"}, SYSTEM)
    login(client, "civil_affairs.officer")
    resp = client.get(f"/leads/{lead.id}")
    assert resp.status_code == 200
    assert f'data-xml-url="/instances/{risk}/diagram.xml"' in resp.text and "分级处置" in resp.text
    holders = resp.text.split('id="holders"')[1].split("</section>")[0]
    assert "风险研判评估" in holders and "新塘街道社会事务办" in holders
    timeline = resp.text.split('id="timeline"')[1].split("</ol>")[0]
    assert "分级处置" in timeline and "线索核查" in timeline
    for url in (f"/instances/{risk}/diagram.xml", f"/instances/{lead.instance_id}/diagram.xml",
                f"/subjects/{lead.subject_id}"):
        assert client.get(url).status_code == 200, url
    markers = client.get(f"/instances/{risk}/markers.json").get_json()
    assert markers["process_id"] == "risk_disposal" and markers["current"] == ["assess_risk"]
    assert "init_risk" in markers["completed"]
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "health.officer")
    assert client.get(f"/instances/{risk}/diagram.xml").status_code == 404
    assert client.get(f"/leads/{lead.id}").status_code == 404


# -- the subject page and the leads list ------------------------------------------

def test_the_subject_page_shows_grades_disposals_rectification_and_leads(client, session_factory):
    with session_factory() as s:
        subject = s.scalar(select(Subject).where(Subject.name == "泉州长青健康科技有限公司"))
        lead_numbers = list(s.scalars(select(Lead.number).where(Lead.subject_id == subject.id)))
    login(client, "office.officer")
    resp = client.get(f"/subjects/{subject.id}")
    assert resp.status_code == 200
    text = resp.text
    assert subject.credit_code in text and "黄色" in text and "涉众人数" in text and "380,000" in text
    assert "警示约谈" in text and "保健品宣传夸大功效" in text and "已逾期" in text  # the item is past its deadline
    assert all(number in text for number in lead_numbers)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "market.officer")  # market disposed of it and holds its rectification
    assert client.get(f"/subjects/{subject.id}").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "land.officer")
    assert client.get(f"/subjects/{subject.id}").status_code == 404
    assert client.get("/subjects/999999").status_code == 404


def _listed(resp):
    return [int(i) for i in re.findall(r'<tr data-lead-id="(\d+)"', resp.text)]


def test_the_leads_list_searches_filters_pages_and_keeps_to_visible_units(client, demo, session_factory):
    login(client, "office.officer")
    resp = client.get("/leads")
    assert resp.status_code == 200 and "(20)" in resp.text and len(_listed(resp)) == 20
    assert len(_listed(client.get("/leads?channel=platform_12337"))) == 2
    assert len(_listed(client.get("/leads?q=福寿康"))) == 2
    first = _fushoukang_lead(session_factory)
    assert _listed(client.get(f"/leads?q={first.number}")) == [first.id]
    closed = _listed(client.get("/leads?status=closed"))
    assert len(closed) == 7
    assert len(_listed(client.get("/leads?status=open"))) == 13
    assert len(_listed(client.get("/leads?sector=elderly_projects&major=1"))) == 1
    for number in range(21, 24):  # a second page
        _post_register(client, _good_form(external_ref=f"ref-{number}", subject_name=f"某公司{number}",
                                          subject_credit_code=""))
    assert len(_listed(client.get("/leads"))) == 20 and len(_listed(client.get("/leads?page=2"))) == 3
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login(client, "market.officer")
    with session_factory() as s:
        markets = set(s.scalars(select(Lead.id).where(Lead.responsible_unit == "market")))
    assert markets and set(_listed(client.get("/leads"))) == markets
    lead = _lead_at_triage(session_factory)
    _dispatch(demo, session_factory, lead, unit="market")
    assert set(_listed(client.get("/leads"))) == markets | {lead.id}
    assert client.get("/leads/new").status_code == 403


@pytest.mark.parametrize("username", ["office.officer", "market.officer"])
def test_english_labels_are_available(client, username):
    login(client, username)
    client.get("/lang/en")
    resp = client.get("/leads")
    assert "Leads" in resp.text and "线索编号或对象名称" not in resp.text


# -- in a real browser: the diagram renders under the CSP, from /vendor ----------

def test_the_diagram_renders_with_its_markers_in_the_browser(page, session_factory):
    lead = _lead_at_triage(session_factory, -1)
    problems = []
    sign_in(page, "office.officer")
    # Script errors and CSP violations are console errors; failed loads are checked by URL (not the favicon).
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.goto(f"/leads/{lead.id}")
    page.wait_for_selector('#case-diagram[data-loaded="true"]')
    current = page.locator("#case-diagram .djs-element.current")
    assert current.count() == 1 and current.first.get_attribute("data-element-id") == "triage_lead"
    completed = {page.locator("#case-diagram .djs-element.completed").nth(i).get_attribute("data-element-id")
                 for i in range(page.locator("#case-diagram .djs-element.completed").count())}
    assert {"start_lead", "gw_triage_merge"} <= completed
    assert page.locator("#diagram-status").inner_text() == "研判分流"
    assert problems == []
    assert screenshot(page, "lead-case").stat().st_size > 10_000


def test_registering_in_the_browser_with_a_mistake_and_a_duplicate(page, session_factory):
    with session_factory() as s:
        subject_id = s.scalar(select(Subject.id).where(Subject.name == JINSE))
    existing = _lead(session_factory, subject_id=subject_id, duplicate_of_id=None)
    sign_in(page, "office.officer")
    page.click("#nav-register")
    page.wait_for_url("**/leads/new")
    assert page.is_visible("#subject_name") and not page.is_visible("#subject_id")
    page.check("#subject_mode_existing")
    assert page.is_visible("#subject_id") and not page.is_visible("#subject_name")
    page.select_option("#channel", "mass_report")
    page.select_option("#subject_id", str(subject_id))
    page.select_option("#sector", "illegal_fundraising")
    page.fill("#reporter_name", "林美华")
    page.click("#register-submit")
    assert page.locator("#error-summary").inner_text() == "线索内容为必填项"
    assert page.input_value("#reporter_name") == "林美华" and page.is_visible("#subject_id")
    page.fill("#summary", "群众来电：金色年华仍在推销“终身会员卡”。")
    page.click("#register-submit")
    assert page.locator("#duplicate-warning").is_visible()
    assert page.get_attribute("#duplicate-link", "href") == f"/leads/{existing.id}"
    screenshot(page, "register-duplicate")
    page.check("#register_anyway")
    page.click("#register-submit")
    page.wait_for_url(re.compile(r"/leads/\d+$"))
    assert "已登记" in page.locator(".alert-success").inner_text()
    assert page.locator("#duplicate-of").is_visible()
    assert page.locator("#reporter-name").inner_text() == "林*华"
