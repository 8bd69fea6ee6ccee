"""Official documents (公文) through the web: a lead driven through its real processes, each kind
issued from its case page (交办单, 督办通知书, 催办通知, 整改通知书, 约谈通知书, 办结报告), the .docx
opened with python-docx (number, names, dates, the 流转意见 chain), the print page, numbers per
issuer and year, documents that stay as issued, who may issue and see them, the audit row, and
bad input refused naming the field."""
import hashlib
import io
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import docx
import pytest
from sqlalchemy import func, select

from domain.casefile import lead_instance_ids, record_details
from domain.demo import UNITS, credit_code
from domain.documents.issuing import issue as issue_document
from domain.documents.models import DocumentImmutable, IssuedDocument
from domain.documents.render import DEFAULT_DIR, chinese_date
from domain.forms import load_form, validate_submission
from domain.models import Lead, NumberCounter, RectificationItem, SupervisionCase, User
from domain.records import active_unit_codes
from engine.store.models import AuditEvent, HumanTask
from engine.workcal import CHINA_TZ
from tests import scenario_support as forms
from tests.browser_support import browser, live_server, page, screenshot, sign_in  # noqa: F401
from tests.conftest import csrf_token, login
from tests.helpers import run_together

INSTITUTION = "晋江市康寿源健康管理有限公司"
INSTITUTION_CODE = credit_code("91350582MA8UB3C2X")
MARKET = "新塘市场监督管理所"
OFFICE_ISSUER = "新塘街道打击整治养老诈骗专项行动领导小组办公室"
UNIT_CODES = [code for code, *_rest in UNITS]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# -- driving a lead ---------------------------------------------------------------------------

def _user(session_factory, username) -> User:
    with session_factory() as s:
        user = s.scalar(select(User).where(User.username == username))
        s.expunge(user)
        return user


def _name(session_factory, username) -> str:
    return _user(session_factory, username).display_name


def _open_task(session_factory, element_id, instance_id=None) -> HumanTask:
    with session_factory() as s:
        query = select(HumanTask).where(HumanTask.element_id == element_id, HumanTask.status == "open")
        if instance_id is not None:
            query = query.where(HumanTask.instance_id == instance_id)
        [task] = s.scalars(query).all()
        return task


def _complete(app, session_factory, element_id, raw, username, instance_id=None) -> HumanTask:
    """Complete the open task as the task page does: validated by its form, with its step record."""
    from web import engine_of
    task = _open_task(session_factory, element_id, instance_id)
    form = load_form(task.form_key)
    with session_factory() as s:
        data = validate_submission(form, raw, "zh", active_unit_codes(s))
    user = _user(session_factory, username)
    engine = engine_of(app)
    engine.claim(task.id, user.to_actor())
    engine.complete(task.id, user.to_actor(), data, record_details(form, data, user))
    return task


def _register(client, session_factory, external_ref="12345-20260302-0042", **overrides) -> Lead:
    login(client, "office.officer")
    form = {"channel": "hotline_12345", "received_at": "2026-03-02T08:30", "external_ref": external_ref,
            "summary": "来电反映某养生馆以免费体检为名向老人推销高价保健品。", "subject_mode": "new",
            "subject_name": INSTITUTION, "subject_credit_code": INSTITUTION_CODE,
            "sector": "food_health_products", "major": "1", "reporter_name": "王秀英",
            "reporter_phone": "13905951234", "csrf_token": csrf_token(client, "/leads/new"), **overrides}
    assert client.post("/leads/new", data=form).status_code == 302
    with session_factory() as s:
        return s.scalar(select(Lead).where(Lead.external_ref == external_ref))


def _dispatched(app, client, session_factory, external_ref="12345-20260302-0042") -> Lead:
    """A major lead triaged to market and accepted there: under supervision, verification open."""
    lead = _register(client, session_factory, external_ref)
    _complete(app, session_factory, "triage_lead", forms.triage_dispatch(unit="market", major=True),
              "office.officer", lead.instance_id)
    _complete(app, session_factory, "accept_lead", forms.accept(), "market.officer", lead.instance_id)
    return _lead(session_factory, lead.id)


def _lead(session_factory, lead_id) -> Lead:
    with session_factory() as s:
        lead = s.get(Lead, lead_id)
        s.expunge(lead)
        return lead


def _switch(client, username):
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, username)


# -- documents ---------------------------------------------------------------------------------

def _issue(client, lead_id, kind, target="lead", **inputs):
    data = {"kind": kind, "target": target, **inputs, "csrf_token": csrf_token(client, f"/leads/{lead_id}")}
    return client.post(f"/leads/{lead_id}/documents", data=data)


def _documents(session_factory, lead_id=None) -> list[IssuedDocument]:
    with session_factory() as s:
        query = select(IssuedDocument).order_by(IssuedDocument.id)
        if lead_id is not None:
            query = query.where(IssuedDocument.lead_id == lead_id)
        return s.scalars(query).all()


def _issued(client, session_factory, lead_id, kind, target="lead", **inputs) -> IssuedDocument:
    before = {d.id for d in _documents(session_factory, lead_id)}
    response = _issue(client, lead_id, kind, target, **inputs)
    assert response.status_code == 302, response.text
    [document] = [d for d in _documents(session_factory, lead_id) if d.id not in before]
    assert response.headers["Location"].endswith(f"/leads/{lead_id}#document-{document.id}")
    return document


def _docx_text(client, document) -> str:
    """The downloaded .docx as text: paragraphs, then table rows with cells joined by |."""
    response = client.get(f"/documents/{document.id}/docx")
    assert response.status_code == 200
    assert response.mimetype == DOCX
    assert hashlib.sha256(response.data).hexdigest() == document.sha256
    opened = docx.Document(io.BytesIO(response.data))
    lines = [p.text for p in opened.paragraphs]
    lines += ["|".join(cell.text for cell in row.cells) for table in opened.tables for row in table.rows]
    return "\n".join(lines)


def _no_internal_names(text):
    """No username, no unit code, no English code word in a document."""
    assert not re.search(r"\b[a-z_]+\.(officer|supervisor|leader)\b", text), text
    words = set(re.findall(r"[A-Za-z_]+", text))
    assert not words & set(UNIT_CODES), words & set(UNIT_CODES)
    assert not words & {"admin", "system", "ordinary", "yellow", "red", "lead", "task"}, words


def _offer_targets(page_text, kind) -> list[str]:
    return re.findall(rf'data-kind="{kind}" data-target="([^"]+)"', page_text)


def _local_day(moment) -> str:
    return moment.astimezone(CHINA_TZ).date().isoformat()


# -- the walk through every kind ------------------------------------------------------------------

def test_each_kind_is_issued_from_the_case_page_and_its_docx_reads_right(demo, client, session_factory, clock):
    app = demo
    lead = _dispatched(app, client, session_factory)
    market_officer, office_officer = _name(session_factory, "market.officer"), _name(session_factory, "office.officer")
    _switch(client, "office.officer")
    page = client.get(f"/leads/{lead.id}").text
    assert 'id="documents"' in page and "开具文书" in page
    assert _offer_targets(page, "assignment") == ["lead"]
    assert _offer_targets(page, "closure_report") == []  # not closed yet
    with session_factory() as s:
        [case] = s.scalars(select(SupervisionCase).where(SupervisionCase.kind == "lead",
                                                         SupervisionCase.target_id == lead.id)).all()
    assert f"case-{case.id}" in _offer_targets(page, "supervision_notice")
    verify = _open_task(session_factory, "verify_lead", lead.instance_id)
    assert f"task-{verify.id}" in _offer_targets(page, "reminder")

    # 交办单: the lead handed to market with its feedback deadline.
    assignment = _issued(client, session_factory, lead.id, "assignment")
    assert assignment.number == "新塘专办〔2026〕1号"
    text = _docx_text(client, assignment)
    for expected in ("新塘专办〔2026〕1号", "线索交办单", f"{MARKET}：", lead.number, INSTITUTION, "12345政务服务热线",
                     "2026年3月2日", f"{chinese_date(lead.feedback_deadline)}前", "重大线索，挂牌督办",
                     forms.triage_dispatch()["triage_opinion"], OFFICE_ISSUER):
        assert expected in text, expected
    assert text.rstrip().count(chinese_date(clock.now())) >= 1
    _no_internal_names(text)

    # 督办通知书 for the lead's supervision case, with its level and the reporting deadline given.
    deadline = (clock.now() + timedelta(days=10)).astimezone(CHINA_TZ).date()
    notice = _issued(client, session_factory, lead.id, "supervision_notice", f"case-{case.id}",
                     deadline=deadline.isoformat(), note="请每周五报送进展。")
    assert notice.number == "新塘专办〔2026〕2号" and notice.supervision_id == case.id
    text = _docx_text(client, notice)
    for expected in ("督办通知书", f"{MARKET}：", "一般督办", case.number, f"{chinese_date(datetime.combine(deadline, datetime.min.time(), CHINA_TZ))}前",
                     INSTITUTION, "请每周五报送进展。"):
        assert expected in text, expected
    _no_internal_names(text)

    # A yellow card on the verification (a supervisor's 督办): market's supervisor issues its own
    # 督办通知书, numbered in market's own series.
    from web import runtime_of
    runtime_of(app).escalator.supervise(verify.id, _user(session_factory, "office.supervisor").to_actor(), "yellow",
                                        "核查进度滞后，提级督办")
    _switch(client, "market.supervisor")
    page = client.get(f"/leads/{lead.id}").text
    [mark_target] = [t for t in _offer_targets(page, "supervision_notice") if t.startswith("mark-")]
    assert _offer_targets(page, "assignment") == []  # market does not hand leads over (issuers.json kinds)
    card = _issued(client, session_factory, lead.id, "supervision_notice", mark_target,
                   deadline=deadline.isoformat())
    assert card.number == "新塘市监〔2026〕1号" and card.task_id == verify.id
    text = _docx_text(client, card)
    for expected in ("黄牌督办", "核查进度滞后，提级督办", "核实线索", MARKET):
        assert expected in text, expected
    _no_internal_names(text)

    # 催办通知 for the open verification, with its deadline.
    _switch(client, "office.officer")
    reminder = _issued(client, session_factory, lead.id, "reminder", f"task-{verify.id}")
    assert reminder.number == "新塘专办〔2026〕3号" and reminder.task_id == verify.id
    text = _docx_text(client, reminder)
    for expected in ("催办通知", f"{MARKET}：", "核实线索", chinese_date(verify.due_at), "线索核查"):
        assert expected in text, expected
    _no_internal_names(text)

    # 约谈通知书: whom, when, where, on what.
    when = (clock.now() + timedelta(days=3)).astimezone(CHINA_TZ).replace(hour=15, minute=0, tzinfo=None)
    interview = _issued(client, session_factory, lead.id, "interview_notice", party="subject", interviewee="黄某",
                        interviewee_title="法定代表人", interview_time=when.strftime("%Y-%m-%dT%H:%M"),
                        interview_place="新塘市场监督管理所二楼会议室", interview_matter="以免费体检为名高价推销保健品")
    text = _docx_text(client, interview)
    for expected in ("约谈通知书", f"{INSTITUTION}：", "黄某（法定代表人）", f"{when.year}年{when.month}月{when.day}日 15:00",
                     "新塘市场监督管理所二楼会议室", "以免费体检为名高价推销保健品"):
        assert expected in text, expected
    _no_internal_names(text)

    # 整改通知书 from a rectification item the lead's graded disposal opened.
    from web import engine_of
    risk = engine_of(app).start("risk_disposal", {"subject_id": lead.subject_id, "lead_id": lead.id,
                                                  "responsible_unit": "market"},
                                actor=_user(session_factory, "market.officer").to_actor())
    _complete(app, session_factory, "assess_risk", forms.assess("orange", "clear_problem"), "market.officer", risk)
    _complete(app, session_factory, "warning_interview", forms.interview(), "market.officer", risk)
    _complete(app, session_factory, "decide_measures", forms.measures(rectify=True), "market.officer", risk)
    _complete(app, session_factory, "issue_rectification_order", forms.rectify_order("2026-03-20T18:00"),
              "market.officer", risk)
    with session_factory() as s:
        [item] = s.scalars(select(RectificationItem).where(RectificationItem.lead_id == lead.id)).all()
        s.expunge(item)
    page = client.get(f"/leads/{lead.id}").text
    assert _offer_targets(page, "rectification_notice") == [f"item-{item.id}"]
    order = _issued(client, session_factory, lead.id, "rectification_notice", f"item-{item.id}")
    assert order.item_id == item.id
    text = _docx_text(client, order)
    for expected in ("整改通知书", f"{INSTITUTION}：", item.problem, item.measures, item.responsible_person, MARKET,
                     f"{chinese_date(item.deadline)}前", item.number):
        assert expected in text, expected
    _no_internal_names(text)

    # Verified, fed back, reviewed: closed. The 办结报告 carries the 流转意见 chain.
    _complete(app, session_factory, "verify_lead", forms.verify(), "market.officer", lead.instance_id)
    _complete(app, session_factory, "feedback_lead", forms.feedback(), "market.officer", lead.instance_id)
    _complete(app, session_factory, "review_feedback", forms.review("accept"), "office.officer", lead.instance_id)
    lead = _lead(session_factory, lead.id)
    assert lead.status == "closed"
    page = client.get(f"/leads/{lead.id}").text
    assert _offer_targets(page, "closure_report") == ["lead"]
    report = _issued(client, session_factory, lead.id, "closure_report")
    text = _docx_text(client, report)
    for expected in (f"关于{lead.number}号线索办结情况的报告", "晋江市打击整治养老诈骗专项行动领导小组办公室：", "属实",
                     "120,000元", chinese_date(lead.closed_at), "特此报告。"):
        assert expected in text, expected
    opened = docx.Document(io.BytesIO(client.get(f"/documents/{report.id}/docx").data))
    chain = [[cell.text for cell in row.cells] for row in opened.tables[-1].rows]
    assert chain[0] == ["序号", "环节", "办理人", "单位", "时间", "办理意见", "结果"]
    steps = {row[1]: row for row in chain[1:]}
    for step in ("研判分流", "签收线索", "核实线索", "查办反馈", "审核反馈"):
        assert step in steps, (step, chain)
    assert steps["研判分流"][2:4] == [office_officer, "新塘街道专项办"]
    assert steps["研判分流"][5] == forms.triage_dispatch()["triage_opinion"]
    assert steps["核实线索"][2:4] == [market_officer, MARKET]
    assert steps["审核反馈"][5] == "同意办结"
    assert all(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", row[4]) for row in chain[1:])
    assert [row[0] for row in chain[1:]] == [str(i) for i in range(1, len(chain))]
    _no_internal_names(text + "\n".join("|".join(row) for row in chain))
    assert report.values["chain"] and all("element_id" not in row for row in report.values["chain"])

    # Every document is listed on the case page with its print page and .docx; numbers run on.
    page = client.get(f"/leads/{lead.id}").text
    documents = _documents(session_factory, lead.id)
    assert [d.number for d in documents if d.issuer == "office"] == [f"新塘专办〔2026〕{n}号" for n in range(1, 7)]
    for document in documents:
        assert f'id="document-{document.id}"' in page and document.number in page
        assert f'href="/documents/{document.id}"' in page and f'href="/documents/{document.id}/docx"' in page
    # The unit's officer sees them too, without the issuing forms.
    _switch(client, "market.officer")
    page = client.get(f"/leads/{lead.id}").text
    assert all(document.number in page for document in documents)
    assert 'class="document-form"' not in page and 'id="issue-documents"' not in page
    assert client.get(f"/documents/{report.id}").status_code == 200
    assert _docx_text(client, report)


def test_the_print_page_is_the_stored_a4_page_without_navigation(demo, client, session_factory):
    lead = _dispatched(demo, client, session_factory)
    _switch(client, "office.officer")
    document = _issued(client, session_factory, lead.id, "assignment", note="附：线索材料一份 <请查收>")
    response = client.get(f"/documents/{document.id}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.text
    with session_factory() as s:
        stored = s.get(IssuedDocument, document.id)
        assert html == stored.html and hashlib.sha256(html.encode()).hexdigest() == stored.html_sha256
    assert "size: A4" in html and "@media print" in html
    assert "<nav" not in html and "navbar" not in html and "<script" not in html
    assert 'id="doc-number">新塘专办〔2026〕1号<' in html and "线索交办单" in html
    assert f"{MARKET}：" in html and INSTITUTION in html and OFFICE_ISSUER in html
    assert "附：线索材料一份 &lt;请查收&gt;" in html  # escaped
    assert response.headers["Cache-Control"] == "no-store"
    download = client.get(f"/documents/{document.id}/docx")
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('新塘专办〔2026〕1号交办单.docx')}" in disposition


def test_numbers_run_per_issuer_and_year_and_restart_in_a_new_year(demo, client, session_factory, clock):
    lead = _dispatched(demo, client, session_factory)
    _switch(client, "office.officer")
    numbers = [_issued(client, session_factory, lead.id, "assignment").number for _ in range(3)]
    assert numbers == ["新塘专办〔2026〕1号", "新塘专办〔2026〕2号", "新塘专办〔2026〕3号"]
    # Another issuer has its own series.
    _switch(client, "market.supervisor")
    verify = _open_task(session_factory, "verify_lead", lead.instance_id)
    assert _issued(client, session_factory, lead.id, "reminder", f"task-{verify.id}").number == "新塘市监〔2026〕1号"
    # The last minutes of 2026 in Beijing are still 2026; then the series restarts.
    clock.set(datetime(2026, 12, 31, 23, 50, tzinfo=CHINA_TZ).astimezone(timezone.utc))
    _switch(client, "office.officer")
    assert _issued(client, session_factory, lead.id, "assignment").number == "新塘专办〔2026〕4号"
    clock.set(datetime(2027, 1, 1, 0, 10, tzinfo=CHINA_TZ).astimezone(timezone.utc))
    first = _issued(client, session_factory, lead.id, "assignment")
    assert first.number == "新塘专办〔2027〕1号" and (first.year, first.serial) == (2027, 1)
    assert "2027年1月1日" in _docx_text(client, first)
    assert _issued(client, session_factory, lead.id, "assignment").number == "新塘专办〔2027〕2号"
    _switch(client, "market.supervisor")
    assert _issued(client, session_factory, lead.id, "reminder", f"task-{verify.id}").number == "新塘市监〔2027〕1号"


def test_numbers_have_no_gaps_or_duplicates_when_issued_at_once(demo, client, session_factory):
    lead = _dispatched(demo, client, session_factory)
    office = _user(session_factory, "office.officer")

    def issue_one():
        with session_factory() as s:
            record = s.get(Lead, lead.id)
            issue_document(s, record, lead_instance_ids(s, record), "assignment", "lead", {}, issuer_code="office",
                           username=office.username, display_name=office.display_name, directory=DEFAULT_DIR)
            s.commit()

    assert run_together(*[issue_one] * 6) == ["ok"] * 6
    assert sorted(d.serial for d in _documents(session_factory, lead.id)) == [1, 2, 3, 4, 5, 6]
    assert len({d.number for d in _documents(session_factory, lead.id)}) == 6


def test_a_document_stays_as_issued_when_the_lead_changes(demo, client, session_factory):
    lead = _dispatched(demo, client, session_factory)
    _switch(client, "office.officer")
    document = _issued(client, session_factory, lead.id, "assignment")
    before_docx = client.get(f"/documents/{document.id}/docx").data
    before_html = client.get(f"/documents/{document.id}").text
    with session_factory() as s:
        record = s.get(Lead, lead.id)
        record.summary = "线索内容已更正：另案处理。"
        record.responsible_unit = "health"
        record.subject.name = "改名后的公司"
        s.commit()
    assert client.get(f"/documents/{document.id}/docx").data == before_docx
    assert client.get(f"/documents/{document.id}").text == before_html
    text = _docx_text(client, document)
    assert INSTITUTION in text and MARKET in text and "另案处理" not in text and "改名后的公司" not in text
    # A new document reads the new data; the old one is never rendered again.
    later = _issued(client, session_factory, lead.id, "assignment")
    assert "改名后的公司" in _docx_text(client, later) and "新塘街道卫健办" in _docx_text(client, later)
    with session_factory() as s:
        stored = s.get(IssuedDocument, document.id)
        stored.title = "改过的标题"
        with pytest.raises(DocumentImmutable):
            s.commit()
        s.rollback()
    assert _documents(session_factory, lead.id)[0].title == "线索交办单"


def test_another_units_officer_gets_404_and_officers_may_not_issue(demo, client, session_factory):
    lead = _dispatched(demo, client, session_factory)
    _switch(client, "office.officer")
    document = _issued(client, session_factory, lead.id, "assignment")
    for username in ("civil_affairs.officer", "health.supervisor"):
        _switch(client, username)
        assert client.get(f"/documents/{document.id}").status_code == 404, username
        assert client.get(f"/documents/{document.id}/docx").status_code == 404, username
        assert _issue(client, lead.id, "assignment").status_code == 404, username
    _switch(client, "market.officer")
    assert client.get(f"/documents/{document.id}").status_code == 200
    assert client.get(f"/documents/{document.id}/docx").status_code == 200
    assert _issue(client, lead.id, "assignment").status_code == 403
    assert client.get("/documents/999999").status_code == 404
    assert len(_documents(session_factory, lead.id)) == 1
    # Without a CSRF token nothing is issued.
    _switch(client, "office.officer")
    assert client.post(f"/leads/{lead.id}/documents", data={"kind": "assignment", "target": "lead"}).status_code == 400
    assert len(_documents(session_factory, lead.id)) == 1


def test_issuing_is_audited(demo, client, session_factory):
    lead = _dispatched(demo, client, session_factory)
    _switch(client, "office.officer")
    document = _issued(client, session_factory, lead.id, "assignment")
    with session_factory() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "document.issued")).all()
    assert event.actor == "office.officer" and event.instance_id == lead.instance_id
    assert event.data["number"] == document.number and event.data["kind"] == "assignment"
    assert event.data["document_id"] == document.id and event.data["sha256"] == document.sha256
    assert document.issued_by == "office.officer" and document.issued_by_name == _name(session_factory, "office.officer")
    assert document.instance_id == lead.instance_id and document.business_key == lead.number
    assert document.values["number"] == document.number and document.values["recipient"] == MARKET


def test_bad_input_is_refused_naming_the_field_and_uses_no_number(demo, client, session_factory, clock):
    lead = _dispatched(demo, client, session_factory)
    _switch(client, "office.officer")
    def counters():
        with session_factory() as s:
            return dict(s.execute(select(NumberCounter.key, NumberCounter.value)).all())

    before = counters()
    with session_factory() as s:
        [case] = s.scalars(select(SupervisionCase).where(SupervisionCase.target_id == lead.id)).all()
    yesterday = (clock.now() - timedelta(days=1)).astimezone(CHINA_TZ).date().isoformat()
    cases = [
        ({"kind": ""}, "文书种类的取值无效"),
        ({"kind": "letter"}, "文书种类的取值无效"),
        ({"kind": "closure_report"}, "本案当前状态不能开具该文书种类"),
        ({"kind": "supervision_notice", "target": "case-999999"}, "文书事项的取值无效"),
        ({"kind": "supervision_notice", "target": f"case-{case.id}"}, "期限为必填项"),
        ({"kind": "supervision_notice", "target": f"case-{case.id}", "deadline": "next friday"},
         "期限不是有效的日期"),
        ({"kind": "supervision_notice", "target": f"case-{case.id}", "deadline": yesterday}, "期限不能早于当前时间"),
        ({"kind": "interview_notice", "party": "subject", "interviewee": "黄某", "interview_place": "会议室",
          "interview_matter": "事由"}, "约谈时间为必填项"),
        ({"kind": "interview_notice", "party": "police", "interviewee": "黄某", "interview_place": "会议室",
          "interview_time": "2026-03-09T10:00", "interview_matter": "事由"}, "被约谈单位的取值无效"),
        ({"kind": "assignment", "note": "长" * 2001}, "补充说明不能超过2000个字符"),
    ]
    for data, message in cases:
        data = {"target": "lead", **data}
        response = _issue(client, lead.id, data.pop("kind"), data.pop("target"), **data)
        assert response.status_code == 422, (data, response.status_code)
        assert message in response.text, (message, response.text[:3000])
    # The refused form comes back with what was typed.
    response = _issue(client, lead.id, "interview_notice", party="subject", interviewee="黄某",
                      interview_place="二楼会议室", interview_matter="事由")
    assert 'value="二楼会议室"' in response.text and 'id="error-interview_time"' in response.text
    assert _documents(session_factory, lead.id) == [] and counters() == before
    # Kinds not yet possible are refused: no 办结报告 before closure, no 交办单 before dispatch.
    fresh = _register(client, session_factory, external_ref="12345-20260302-0099", subject_name="晋江市某某养生馆",
                      subject_credit_code="", sector="tourism_art")
    assert "本案当前状态不能开具该文书种类" in _issue(client, fresh.id, "assignment").text
    assert _issued(client, session_factory, lead.id, "assignment").number == "新塘专办〔2026〕1号"


def test_the_case_page_offers_what_the_state_allows_in_english_too(demo, client, session_factory):
    lead = _register(client, session_factory)
    page = client.get(f"/leads/{lead.id}").text
    assert _offer_targets(page, "assignment") == [] and _offer_targets(page, "interview_notice") == []
    [triage] = _offer_targets(page, "reminder")  # the open triage can be chased
    assert "尚未开具文书" in page
    with client.session_transaction() as session:
        session["locale"] = "en"
    page = client.get(f"/leads/{lead.id}").text
    assert "Official documents" in page and "Issue a document" in page and "Reminder notice" in page
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(IssuedDocument)) == 0


def test_a_supervision_notice_issued_printed_and_downloaded_in_the_browser(demo, client, session_factory, clock,
                                                                          page, tmp_path):
    lead = _dispatched(demo, client, session_factory)
    deadline = (clock.now() + timedelta(days=7)).astimezone(CHINA_TZ).date()
    sign_in(page, "office.officer")
    page.goto(f"/leads/{lead.id}")
    offer = page.locator('details.issue-offer[data-kind="supervision_notice"]').first
    offer.locator("summary").click()
    offer.locator('input[name="deadline"]').fill(deadline.isoformat())
    offer.locator('textarea[name="note"]').fill("请每周五报送进展。")
    with page.expect_navigation():
        offer.locator('button[type="submit"]').click()
    row = page.locator("#document-list tbody tr[data-kind='supervision_notice']")
    assert "新塘专办〔2026〕1号" in row.inner_text() and MARKET in row.inner_text()
    assert "已开具督办通知书新塘专办〔2026〕1号" in page.locator(".alert-success").inner_text()
    page.locator("#documents").scroll_into_view_if_needed()
    screenshot(page, "documents-case-page")
    with page.expect_download() as download_info:
        row.locator("a.document-docx").click()
    download = download_info.value
    assert download.suggested_filename == "新塘专办〔2026〕1号督办通知书.docx"
    saved = tmp_path / "notice.docx"
    download.save_as(saved)
    text = "\n".join(p.text for p in docx.Document(str(saved)).paragraphs)
    assert "新塘专办〔2026〕1号" in text and "督办通知书" in text and "请每周五报送进展。" in text
    printed = page.context.new_page()
    printed.goto(row.locator("a.document-print").get_attribute("href"))
    assert printed.locator("#doc-number").inner_text() == "新塘专办〔2026〕1号"
    assert printed.locator("#doc-level").inner_text() == "一般督办"
    assert printed.locator("nav").count() == 0
    screenshot(printed, "documents-supervision-notice")
    printed.emulate_media(media="print")
    assert printed.pdf(format="A4")[:4] == b"%PDF"


def test_an_administrator_replaces_a_template_and_a_broken_one_issues_nothing(demo, client, session_factory,
                                                                              tmp_path):
    import shutil
    folder = tmp_path / "documents"
    shutil.copytree(DEFAULT_DIR, folder)
    demo.config["DUBAN_DOCUMENT_DIR"] = str(folder)
    lead = _dispatched(demo, client, session_factory)
    _switch(client, "office.officer")
    standard = _issued(client, session_factory, lead.id, "assignment")
    page = folder / "assignment.html"
    page.write_text(page.read_text(encoding="utf-8").replace("{% block body %}", "{% block body %}<p>（本地模板）</p>"),
                    encoding="utf-8")
    (folder / "issuers.json").write_text(
        (folder / "issuers.json").read_text(encoding="utf-8").replace('"新塘专办"', '"新塘打诈办"'), encoding="utf-8")
    replaced = _issued(client, session_factory, lead.id, "assignment")
    assert replaced.number == "新塘打诈办〔2026〕2号"  # the series is the unit's, whatever its abbreviation
    assert "（本地模板）" in client.get(f"/documents/{replaced.id}").text
    assert replaced.template_sha256 != standard.template_sha256
    assert "（本地模板）" not in client.get(f"/documents/{standard.id}").text
    with session_factory() as s:
        before = s.scalar(select(NumberCounter.value).where(NumberCounter.key == "GW-2026-office"))
    (folder / "assignment.docx").write_bytes(b"not a word file")
    response = _issue(client, lead.id, "assignment")
    assert response.status_code == 500 and "文书模板缺失或有误" in response.text
    (folder / "assignment.docx").unlink()
    assert _issue(client, lead.id, "assignment").status_code == 500
    with session_factory() as s:
        assert s.scalar(select(NumberCounter.value).where(NumberCounter.key == "GW-2026-office")) == before
    assert len(_documents(session_factory, lead.id)) == 2


def test_a_proposed_deadline_is_never_a_day_already_past(demo, client, session_factory, clock):
    lead = _dispatched(demo, client, session_factory)
    _switch(client, "office.officer")
    page = client.get(f"/leads/{lead.id}").text
    with session_factory() as s:
        [case] = s.scalars(select(SupervisionCase).where(SupervisionCase.target_id == lead.id)).all()
        report = s.scalars(select(HumanTask).where(HumanTask.instance_id == case.instance_id,
                                                   HumanTask.status == "open")).one()
    field = f'id="doc-supervision_notice-case-{case.id}-deadline"'
    assert re.search(field + rf'[^>]*type="date" value="{_local_day(report.due_at)}"', page)
    clock.advance(timedelta(days=40))
    today = _local_day(clock.now())
    page = client.get(f"/leads/{lead.id}").text
    assert re.search(field + rf'[^>]*type="date" value="{today}"', page)
    assert _issue(client, lead.id, "supervision_notice", f"case-{case.id}", deadline=today).status_code == 302
