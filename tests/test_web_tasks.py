"""The task page through the Flask test client: the form in Chinese, validation beside
the fields, drafts, completion, evidence files, comments, history, and every task
operation (退回 转办 委派 加签 抄送 催办 拿回 撤销) with its permissions."""
import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from domain.models import Lead
from engine.store.models import Attachment, AuditEvent, HumanTask, ProcessInstance, TaskCopy, TaskCosigner
from tests.conftest import csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64

TRIAGE = {"triage_decision": "dispatch", "responsible_unit": "market", "feedback_workdays": "15",
          "triage_opinion": "属实可能性大，分流市场监管所核查"}


def docx_bytes(with_document=True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if with_document:
            archive.writestr("word/document.xml", "<w:document/>")
        else:
            archive.writestr("payload.bin", "x")
    return buffer.getvalue()


def switch_user(client, username):
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, username)


def open_task(session_factory, element_id, index=0, instance_id=None) -> HumanTask:
    with session_factory() as s:
        query = select(HumanTask).where(HumanTask.element_id == element_id, HumanTask.status == "open")
        if instance_id is not None:
            query = query.where(HumanTask.instance_id == instance_id)
        return s.scalars(query.order_by(HumanTask.id)).all()[index]


def get_task(session_factory, task_id) -> HumanTask:
    with session_factory() as s:
        return s.get(HumanTask, task_id)


def post(client, path, data=None, **kwargs):
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client)
    return client.post(path, data=data, **kwargs)


def actions(session_factory, instance_id, action):
    with session_factory() as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                  AuditEvent.action == action).order_by(AuditEvent.id)).all()


def error_beside(page, field_id) -> str:
    found = re.search(rf'<div class="field-error" id="error-{field_id}" role="alert">([^<]*)</div>', page.text)
    return found.group(1) if found else ""


def upload(client, task_id, name, content, field="file"):
    return post(client, f"/tasks/{task_id}/attachments", {field: (io.BytesIO(content), name)},
                content_type="multipart/form-data")


@pytest.fixture
def triage(session_factory):
    """The newest lead's triage (received this morning: 剩2天)."""
    return open_task(session_factory, "triage_lead", index=-1)


def dispatched(client, session_factory, triage):
    """office.officer dispatches the lead to the market station; returns its accept task."""
    login(client, "office.officer")
    response = post(client, f"/tasks/{triage.id}/complete", TRIAGE)
    assert response.status_code == 302, response.text
    return open_task(session_factory, "accept_lead", instance_id=triage.instance_id)


# -- the page and its form -----------------------------------------------------------------

def test_the_form_renders_in_chinese_with_the_case_summary_and_history(client, triage):
    login(client, "office.officer")
    page = client.get(f"/tasks/{triage.id}")
    assert page.status_code == 200
    for text in ("研判分流", "研判结论", "分流转交责任单位", "责任单位", "新塘市场监督管理所", "线索核查",
                 "XS-2026-", "晋江市", "办理记录", "启动流程", "生成待办", "提交", "暂存", "办理操作", "委派", "加签", "抄送", "撤销案件"):
        assert text in page.text, text
    assert 'name="csrf_token"' in page.text and "剩2天" in page.text
    client.get("/lang/en")
    page = client.get(f"/tasks/{triage.id}")
    assert "Decision" in page.text and "Responsible unit" in page.text and "研判结论" not in page.text


def test_an_officer_of_another_unit_gets_404_everywhere(client, triage):
    login(client, "police.officer")
    assert client.get(f"/tasks/{triage.id}").status_code == 404
    for path in ("complete", "draft", "attachments", "comments", "send-back", "delegate", "cc", "take-back",
                 "withdraw"):
        assert post(client, f"/tasks/{triage.id}/{path}", {"reason": "x"}).status_code == 404, path


def test_bad_input_is_422_with_the_message_beside_the_field_and_the_input_kept(client, session_factory, triage):
    login(client, "office.officer")
    response = post(client, f"/tasks/{triage.id}/complete",
                    {"triage_decision": "dispatch", "feedback_workdays": "十五", "triage_opinion": "我的研判意见",
                     "major": "true"})
    assert response.status_code == 422
    assert "反馈期限（工作日）必须是整数" == error_beside(response, "feedback_workdays")
    assert "责任单位为必填项" == error_beside(response, "responsible_unit")
    assert "列为重大线索的理由为必填项" == error_beside(response, "major_reason")
    assert 'value="十五"' in response.text and "我的研判意见</textarea>" in response.text
    assert re.search(r'name="major" value="true"\s+checked', response.text)
    assert "请修改标出的内容" in response.text
    assert get_task(session_factory, triage.id).status == "open"


def test_a_draft_is_saved_without_validation_and_fills_the_form_again(client, session_factory, triage):
    login(client, "office.officer")
    response = post(client, f"/tasks/{triage.id}/draft", {"triage_decision": "dispatch", "feedback_workdays": "abc",
                                                          "triage_opinion": "先存一下"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{triage.id}")
    row = get_task(session_factory, triage.id)
    assert row.status == "open" and row.assignee == "office.officer"
    assert row.draft["triage_opinion"] == "先存一下" and row.draft["feedback_workdays"] == "abc"
    page = client.get(f"/tasks/{triage.id}")
    assert "草稿已暂存" in page.text and "先存一下</textarea>" in page.text and 'value="abc"' in page.text


def test_completing_moves_the_case_on_to_the_responsible_unit(client, session_factory, triage):
    accept = dispatched(client, session_factory, triage)
    assert "任务已办理完成" in client.get("/inbox/").text
    assert accept.candidate_groups == "market"
    switch_user(client, "market.officer")
    page = client.get(f"/tasks/{accept.id}")
    assert page.status_code == 200 and "签收线索" in page.text
    [event] = actions(session_factory, triage.instance_id, "task.completed")
    assert event.data["data"]["responsible_unit"] == "market" and event.data["data"]["feedback_workdays"] == 15
    # The handled triage task shows what was submitted as its record (处理单), without the form.
    switch_user(client, "office.officer")
    page = client.get(f"/tasks/{triage.id}")
    own = page.text.split('id="own-step-record"', 1)[1]
    assert "已办理" in page.text and "分流市场监管所核查" in own and "市场监管" in own and 'id="btn-complete"' not in page.text
    assert "<textarea" not in own.split('id="evidence"', 1)[0]


def test_completing_a_task_someone_else_completed_first_says_so(client, session_factory, demo, triage):
    login(client, "office.officer")
    assert client.get(f"/tasks/{triage.id}").status_code == 200
    from web import engine_of
    from domain.models import User
    from web.extensions import db
    with demo.app_context():
        actor = db.session.scalar(select(User).where(User.username == "office.supervisor")).to_actor()
        engine_of(demo).complete(triage.id, actor, {**TRIAGE, "feedback_workdays": 15})
    response = post(client, f"/tasks/{triage.id}/complete", TRIAGE, follow_redirects=True)
    assert "该任务已由林晓燕（新塘街道专项办）办理，本次未作任何更改" in response.text
    assert response.request.path == "/inbox/"
    assert len(actions(session_factory, triage.instance_id, "task.completed")) == 1


def test_posts_without_a_csrf_token_are_refused(client, triage):
    login(client, "office.officer")
    assert client.post(f"/tasks/{triage.id}/complete", data=TRIAGE).status_code == 400
    assert client.post(f"/tasks/{triage.id}/draft", data=TRIAGE).status_code == 400


# -- evidence files -------------------------------------------------------------------------

def test_an_uploaded_file_is_stored_under_a_random_name_and_served_as_a_download(client, session_factory, demo,
                                                                                  triage):
    login(client, "office.officer")
    response = upload(client, triage.id, "举报材料.pdf", PDF)
    assert response.status_code == 302
    with session_factory() as s:
        [row] = s.scalars(select(Attachment).where(Attachment.instance_id == triage.instance_id)).all()
    assert (row.filename, row.content_type, row.size, row.task_id) == ("举报材料.pdf", "application/pdf", len(PDF),
                                                                       triage.id)
    stored = Path(demo.config["DUBAN_UPLOAD_DIR"]) / row.storage_name
    assert stored.read_bytes() == PDF and "举报材料" not in row.storage_name and len(row.storage_name) >= 32
    assert "举报材料.pdf" in client.get(f"/tasks/{triage.id}").text
    download = client.get(f"/attachments/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E4%B8%BE%E6%8A%A5%E6%9D%90%E6%96%99.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # Who may see the case may download; another unit may not.
    switch_user(client, "office.supervisor")
    assert client.get(f"/attachments/{row.id}").status_code == 200
    for other in ("police.officer", "market.officer"):
        switch_user(client, other)
        assert client.get(f"/attachments/{row.id}").status_code == 404
    assert client.get("/attachments/999999").status_code == 404


@pytest.mark.parametrize("name, content, message", [
    ("setup.exe", b"MZ\x90\x00", "不允许上传此类文件"),
    ("page.html", b"<html><script>alert(1)</script></html>", "不允许上传此类文件"),
    ("no_extension", PDF, "不允许上传此类文件"),
    ("evidence.pdf", b"<html><script>alert(1)</script></html>", "文件内容与 PDF 格式不符"),
    ("photo.png", JPEG, "文件内容与 PNG 格式不符"),
    ("photo.jpg", PNG, "文件内容与 JPG 格式不符"),
    ("report.docx", docx_bytes(with_document=False), "文件内容与 DOCX 格式不符"),
    ("sheet.xlsx", docx_bytes(), "文件内容与 XLSX 格式不符"),
    ("notes.txt", b"\x00\x01binary\xff\xfe", "文件内容与 TXT 格式不符"),
    ("empty.pdf", b"", "是空文件"),
])
def test_uploads_of_the_wrong_or_a_disguised_type_are_refused(client, session_factory, demo, triage, name, content,
                                                             message):
    login(client, "office.officer")
    response = upload(client, triage.id, name, content)
    assert response.status_code == 422 and message in response.text
    with session_factory() as s:
        assert s.scalars(select(Attachment)).all() == []
    assert list(Path(demo.config["DUBAN_UPLOAD_DIR"]).glob("*")) == []


@pytest.mark.parametrize("name, content, content_type", [
    ("合同.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("现场.JPG", JPEG, "image/jpeg"), ("截图.png", PNG, "image/png"),
    ("笔录.txt", "询问笔录：老人称已缴纳会员费3万元。".encode("gb18030"), "text/plain; charset=gb18030"),
    ("说明.txt", "情况说明".encode(), "text/plain; charset=utf-8"),
])
def test_allowed_types_are_accepted(client, session_factory, triage, name, content, content_type):
    login(client, "office.officer")
    assert upload(client, triage.id, name, content).status_code == 302
    with session_factory() as s:
        [row] = s.scalars(select(Attachment)).all()
    assert row.content_type == content_type
    assert client.get(f"/attachments/{row.id}").headers["Content-Type"] == content_type


def test_size_limits_per_file_and_per_request(client, session_factory, demo, triage):
    login(client, "office.officer")
    demo.config["DUBAN_MAX_FILE_BYTES"] = 1024
    response = upload(client, triage.id, "big.pdf", PDF + b"0" * 2048)
    assert response.status_code == 422 and "big.pdf 文件过大（每个文件不超过 1 KB）" in response.text
    demo.config["MAX_CONTENT_LENGTH"] = 4096
    assert upload(client, triage.id, "huge.pdf", PDF + b"0" * 8192).status_code == 413
    with session_factory() as s:
        assert s.scalars(select(Attachment)).all() == []
    assert list(Path(demo.config["DUBAN_UPLOAD_DIR"]).glob("*")) == []


def test_a_file_field_takes_uploads_and_keeps_them_when_the_form_is_wrong(client, session_factory):
    task = open_task(session_factory, "submit_rectification", instance_id=None)
    with session_factory() as s:
        group = s.get(HumanTask, task.id).candidate_groups
    login(client, f"{group}.officer")
    form = {"measures_taken": "已停止医务室诊疗活动", "completion": "completed", "responsible_person": "许某",
            "evidence__upload": (io.BytesIO(PDF), "整改报告.pdf")}
    response = post(client, f"/tasks/{task.id}/complete", form, content_type="multipart/form-data")
    assert response.status_code == 422 and "整改完成日期为必填项" == error_beside(response, "completion_date")
    with session_factory() as s:
        [attachment] = s.scalars(select(Attachment)).all()
    assert f'name="evidence" value="{attachment.id}" checked' in response.text and "整改报告.pdf" in response.text
    # A wrong file beside the field is reported there.
    bad = post(client, f"/tasks/{task.id}/complete", {**form, "evidence": str(attachment.id),
                                                      "evidence__upload": (io.BytesIO(b"MZ"), "virus.exe")},
               content_type="multipart/form-data")
    assert bad.status_code == 422 and "不允许上传此类文件" in error_beside(bad, "evidence")
    # An attachment of another case cannot be slipped in.
    foreign = post(client, f"/tasks/{task.id}/complete", {**form, "evidence": "999999", "completion_date": "2026-03-02",
                                                          "evidence__upload": (io.BytesIO(b""), "")},
                   content_type="multipart/form-data")
    assert foreign.status_code == 422 and "附件不存在或不属于本案" in error_beside(foreign, "evidence")
    done = post(client, f"/tasks/{task.id}/complete", {**form, "evidence": str(attachment.id),
                                                       "completion_date": "2026-03-02",
                                                       "evidence__upload": (io.BytesIO(b""), "")},
                content_type="multipart/form-data")
    assert done.status_code == 302
    [event] = actions(session_factory, task.instance_id, "task.completed")
    assert event.data["data"]["evidence"] == [attachment.id]


# -- comments --------------------------------------------------------------------------------

def test_comments_are_listed_on_the_page_and_in_the_history(client, session_factory, triage):
    login(client, "office.officer")
    assert "请先填写意见" in post(client, f"/tasks/{triage.id}/comments", {"text": " "},
                                 follow_redirects=True).text
    post(client, f"/tasks/{triage.id}/comments", {"text": "已电话联系举报人核实情况"})
    page = client.get(f"/tasks/{triage.id}")
    comments = page.text[page.text.index('id="comment-list"'):page.text.index('id="history"')]
    assert "已电话联系举报人核实情况" in comments
    history = page.text[page.text.index('id="history"'):]
    assert 'data-action="comment.added"' in history and "已电话联系举报人核实情况" in history


# -- the operations ---------------------------------------------------------------------------

def test_send_back_through_the_page_needs_a_reason_and_reopens_the_previous_step(client, session_factory, triage):
    accept = dispatched(client, session_factory, triage)
    switch_user(client, "market.officer")
    page = client.get(f"/tasks/{accept.id}")
    assert 'id="op-send-back"' in page.text and 'id="op-withdraw"' not in page.text and 'id="op-transfer"' not in page.text
    response = post(client, f"/tasks/{accept.id}/send-back", {"reason": " "}, follow_redirects=True)
    assert "请填写理由" in response.text and get_task(session_factory, accept.id).status == "open"
    response = post(client, f"/tasks/{accept.id}/send-back", {"reason": "不属于本单位职责，请重新分流"},
                    follow_redirects=True)
    assert "任务已退回" in response.text
    assert get_task(session_factory, accept.id).status == "cancelled"
    again = open_task(session_factory, "triage_lead", instance_id=triage.instance_id)
    assert again.id != triage.id and again.assignee == "office.officer"
    assert again.draft["responsible_unit"] == "market"
    switch_user(client, "office.officer")
    page = client.get(f"/tasks/{again.id}")
    assert "不属于本单位职责，请重新分流" in page.text and "退回" in page.text
    assert re.search(r'<option value="market" selected>', page.text)


def test_transfer_is_for_supervisors(client, session_factory, triage):
    login(client, "office.officer")
    assert 'id="op-transfer"' not in client.get(f"/tasks/{triage.id}").text
    response = post(client, f"/tasks/{triage.id}/transfer", {"reason": "x", "to_unit": "police"},
                    follow_redirects=True)
    assert "您无权执行此操作" in response.text
    switch_user(client, "office.supervisor")
    assert 'id="op-transfer"' in client.get(f"/tasks/{triage.id}").text
    response = post(client, f"/tasks/{triage.id}/transfer", {"reason": "涉嫌诈骗犯罪，转派出所研判",
                                                             "to_unit": "police"}, follow_redirects=True)
    assert "任务已转办" in response.text
    row = get_task(session_factory, triage.id)
    assert row.candidate_groups == "police" and row.assignee is None
    switch_user(client, "police.officer")
    assert client.get(f"/tasks/{triage.id}").status_code == 200


def test_delegation_through_the_page_comes_back_to_the_delegator(client, session_factory, triage):
    login(client, "office.officer")
    response = post(client, f"/tasks/{triage.id}/delegate", {"reason": "请市场监管所协助研判",
                                                             "to_user": "market.officer"}, follow_redirects=True)
    assert "任务已委派" in response.text
    switch_user(client, "market.officer")
    page = client.get(f"/tasks/{triage.id}")
    assert page.status_code == 200 and "办毕交回委派人" in page.text and 'id="delegation-note"' in page.text
    assert 'id="op-delegate"' not in page.text
    response = post(client, f"/tasks/{triage.id}/complete", TRIAGE, follow_redirects=True)
    assert "已办毕，任务已交回" in response.text
    row = get_task(session_factory, triage.id)
    assert row.status == "open" and row.assignee == "office.officer" and row.delegation_state == "resolved"
    assert row.draft["responsible_unit"] == "market" and row.draft["feedback_workdays"] == 15
    switch_user(client, "office.officer")
    page = client.get(f"/tasks/{triage.id}")
    assert "被委派人已办毕交回" in page.text and "分流市场监管所核查</textarea>" in page.text
    assert post(client, f"/tasks/{triage.id}/complete", TRIAGE).status_code == 302
    assert get_task(session_factory, triage.id).status == "completed"


def test_a_co_handler_must_sign_before_the_task_can_be_completed(client, session_factory, triage):
    login(client, "office.officer")
    response = post(client, f"/tasks/{triage.id}/cosigners", {"reason": "涉嫌犯罪，请派出所会签",
                                                              "username": "police.officer"}, follow_redirects=True)
    assert "已加签" in response.text and "尚待加签人会签" in response.text
    blocked = post(client, f"/tasks/{triage.id}/complete", TRIAGE)
    assert blocked.status_code == 422 and "尚待加签人会签：郑国强" in blocked.text
    assert "分流市场监管所核查</textarea>" in blocked.text  # what was typed is kept
    assert get_task(session_factory, triage.id).status == "open"
    switch_user(client, "police.officer")
    page = client.get(f"/tasks/{triage.id}")  # a co-handler may open the task
    assert page.status_code == 200 and 'id="op-sign"' in page.text and 'id="btn-complete"' not in page.text
    assert "请填写理由" in post(client, f"/tasks/{triage.id}/sign", {"opinion": ""}, follow_redirects=True).text
    assert "已会签" in post(client, f"/tasks/{triage.id}/sign", {"opinion": "同意移送"}, follow_redirects=True).text
    switch_user(client, "office.officer")
    assert "同意移送" in client.get(f"/tasks/{triage.id}").text
    assert post(client, f"/tasks/{triage.id}/complete", TRIAGE).status_code == 302
    with session_factory() as s:
        [row] = s.scalars(select(TaskCosigner)).all()
    assert (row.username, row.status, row.opinion) == ("police.officer", "signed", "同意移送")


def test_cc_reaches_the_recipients_cc_inbox_and_they_may_open_the_task(client, session_factory, triage):
    login(client, "office.officer")
    response = post(client, f"/tasks/{triage.id}/cc", {"reason": "请知悉该线索", "recipients": ["market.officer",
                                                                                        "police.officer"]},
                    follow_redirects=True)
    assert "已抄送 2 人" in response.text
    switch_user(client, "market.officer")
    cc_page = client.get("/inbox/cc")
    assert "研判分流" in cc_page.text and "请知悉该线索" in cc_page.text
    page = client.get(f"/tasks/{triage.id}")
    assert page.status_code == 200 and 'id="btn-complete"' not in page.text and 'id="upload-form"' not in page.text
    with session_factory() as s:
        copy = s.scalars(select(TaskCopy).where(TaskCopy.recipient == "market.officer")).one()
    assert copy.read_at is not None
    # Reading is all a copy allows: no completing, no evidence.
    form = {**TRIAGE, "evidence__upload": (io.BytesIO(PDF), "a.pdf")}
    response = post(client, f"/tasks/{triage.id}/complete", form, content_type="multipart/form-data")
    assert response.status_code == 403 and "该任务不在您的办理范围内" in response.text
    assert upload(client, triage.id, "a.pdf", PDF).status_code == 403
    with session_factory() as s:
        assert s.scalars(select(Attachment)).all() == []
    assert get_task(session_factory, triage.id).status == "open"


def test_remind_is_shown_to_supervisors_only(client, session_factory, triage):
    login(client, "office.officer")
    assert 'id="op-remind"' not in client.get(f"/tasks/{triage.id}").text
    switch_user(client, "office.supervisor")
    assert 'id="op-remind"' in client.get(f"/tasks/{triage.id}").text
    response = post(client, f"/tasks/{triage.id}/remind", {"reason": "请今日内完成研判"}, follow_redirects=True)
    assert "已发出催办" in response.text
    [event] = actions(session_factory, triage.instance_id, "task.reminded")
    assert event.reason == "请今日内完成研判" and event.actor == "office.supervisor"


def test_take_back_through_the_completed_task_page(client, session_factory, triage):
    accept = dispatched(client, session_factory, triage)
    page = client.get(f"/tasks/{triage.id}")
    assert 'id="op-take-back"' in page.text
    response = post(client, f"/tasks/{triage.id}/take-back", {"reason": "责任单位选错，拿回修改"})
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    reopened = get_task(session_factory, new_id)
    assert (reopened.element_id, reopened.status, reopened.assignee) == ("triage_lead", "open", "office.officer")
    assert get_task(session_factory, accept.id).status == "cancelled"
    page = client.get(f"/tasks/{new_id}")
    assert "已拿回" in page.text and "责任单位选错，拿回修改" in page.text


def test_no_take_back_once_the_next_unit_has_claimed(client, session_factory, triage):
    accept = dispatched(client, session_factory, triage)
    switch_user(client, "market.officer")
    post(client, f"/inbox/{accept.id}/claim")
    switch_user(client, "office.officer")
    assert 'id="op-take-back"' not in client.get(f"/tasks/{triage.id}").text
    response = post(client, f"/tasks/{triage.id}/take-back", {"reason": "晚了"}, follow_redirects=True)
    assert "他人已先行处理" in response.text
    assert get_task(session_factory, accept.id).status == "open"


def test_the_registering_office_withdraws_the_case(client, session_factory, triage):
    accept = dispatched(client, session_factory, triage)
    switch_user(client, "market.officer")
    assert 'id="op-withdraw"' not in client.get(f"/tasks/{accept.id}").text
    response = post(client, f"/tasks/{accept.id}/withdraw", {"reason": "x"}, follow_redirects=True)
    assert "您无权执行此操作" in response.text
    switch_user(client, "office.officer")
    assert 'id="op-withdraw"' in client.get(f"/tasks/{triage.id}").text
    response = post(client, f"/tasks/{triage.id}/withdraw", {"reason": "举报人撤回举报，经核实系重复登记"},
                    follow_redirects=True)
    assert "案件已撤销" in response.text
    with session_factory() as s:
        assert s.get(ProcessInstance, triage.instance_id).status == "cancelled"
        assert s.scalar(select(Lead.status).where(Lead.instance_id == triage.instance_id)) == "withdrawn"
    assert get_task(session_factory, accept.id).status == "cancelled"
    page = client.get(f"/tasks/{triage.id}")
    assert "案件已撤销" in page.text and "举报人撤回举报" in page.text
