"""月报表 pages on the demo (built on Monday 2 March 2026): January and February returns opened by the
monthly cycle; February's submitted by all units but two; March's open. A unit edits and submits its
own return only; the office alone sums, exports and returns returns."""
import io
import re

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from domain import returns
from domain.models import MonthlyReturn
from engine.store.models import HumanTask
from tests.conftest import csrf_token, login

FORM = {"progress": "完成辖区养老机构排查。", "measures": "警示约谈2家。", "next_steps": "开展回头看。",
        "value.other.meetings": "1", "value.other.joint_checks": "0", "value.other.other_work": "0"}


def _record(session_factory, unit, month):
    with session_factory() as session:
        return session.scalar(select(MonthlyReturn).where(MonthlyReturn.unit == unit, MonthlyReturn.month == month))


def _post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client), **data})


def test_the_demo_has_last_months_returns_mostly_submitted_and_this_months_open(demo, session_factory):
    with session_factory() as session:
        feb = returns.summary(session, "2026-02")
        jan = returns.summary(session, "2026-01")
    assert [u.code for u in feb.missing] == ["bank", "community_shatang"]
    assert jan.missing == []
    assert feb.total["other.meetings"] == 2 * 11 and feb.total["leads.received"] > 0
    assert _record(session_factory, "market", "2026-03").status == "draft"


def test_a_unit_sees_its_returns_and_not_another_units(client, session_factory):
    login(client, "market.officer")
    page = client.get("/returns/").get_data(as_text=True)
    assert "/returns/market/2026-02" in page and "/returns/police/2026-02" not in page
    assert client.get("/returns/market/2026-02").status_code == 200
    assert client.get("/returns/police/2026-02").status_code == 403
    assert client.get("/returns/summary/2026-02").status_code == 403
    assert client.get("/returns/summary/2026-02.xlsx").status_code == 403
    assert _post(client, "/returns/police/2026-03", FORM).status_code == 403
    assert _post(client, "/returns/market/2026-02/send-back", {"reason": "x"}).status_code == 403
    assert client.get("/returns/nowhere/2026-02").status_code == 404
    assert client.get("/returns/market/2026-13").status_code == 404


def test_a_supervisor_of_a_unit_reads_but_does_not_sum(client):
    login(client, "office.supervisor")  # the office's staff sum
    assert client.get("/returns/summary/2026-02").status_code == 200
    client.get("/logout")
    login(client, "police.supervisor")
    assert client.get("/returns/police/2026-02").status_code == 200
    assert client.get("/returns/summary/2026-02").status_code == 403


def test_the_bank_submits_late_february_and_the_task_is_done(client, session_factory):
    login(client, "bank.officer")
    record = _record(session_factory, "bank", "2026-02")
    bad = _post(client, "/returns/bank/2026-02", {**FORM, "action": "submit", "progress": "",
                                                   "value.other.meetings": "-3", "fix.leads.received": "7"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'id="error-progress"' in page and 'id="error-value-other-meetings"' in page
    assert 'id="error-note-leads-received"' in page
    assert _record(session_factory, "bank", "2026-02").status == "draft"  # nothing half-written

    # The inbox task opens the return page.
    task_page = client.get(f"/tasks/{_task_of(session_factory, record)}")
    assert task_page.status_code == 302 and task_page.headers["Location"].endswith("/returns/bank/2026-02")

    done = _post(client, "/returns/bank/2026-02", {**FORM, "action": "submit", "fix.leads.received": "7",
                                                    "note.leads.received": "含电话举报2条未登记"})
    assert done.status_code == 302
    record = _record(session_factory, "bank", "2026-02")
    assert record.status == "submitted" and record.corrections["leads.received"]["value"] == 7
    with session_factory() as session:
        assert session.get(HumanTask, _task_of(session_factory, record, "completed")).completed_by == "bank.officer"
    page = client.get("/returns/bank/2026-02").get_data(as_text=True)
    assert 'name="progress"' not in page and "含电话举报2条未登记" in page  # read-only now
    assert _post(client, "/returns/bank/2026-02", {**FORM, "action": "save"}).status_code == 302
    assert _record(session_factory, "bank", "2026-02").progress == FORM["progress"]


def test_this_months_return_is_saved_as_a_draft_but_submitted_only_once_the_month_is_over(client, session_factory):
    login(client, "health.officer")
    early = _post(client, "/returns/health/2026-03", {**FORM, "action": "submit"})
    assert early.status_code == 422 and "月份结束后才能报送" in early.get_data(as_text=True)
    assert _record(session_factory, "health", "2026-03") is None
    assert _post(client, "/returns/health/2026-03", {**FORM, "action": "save"}).status_code == 302
    draft = _record(session_factory, "health", "2026-03")
    assert draft.status == "draft" and draft.manual["other.meetings"] == 1 and draft.number.startswith("YB-2026-")
    assert client.get("/returns/health/2026-04").status_code == 200  # a month to come: figures so far (none)
    assert _post(client, "/returns/health/2026-04", {**FORM, "action": "save"}).status_code == 404


def _task_of(session_factory, record, status="open"):
    with session_factory() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == record.instance_id,
                                                         HumanTask.status == status))


def test_the_office_sums_exports_and_returns_a_return_for_correction(client, session_factory):
    login(client, "office.leader")
    page = client.get("/returns/summary/2026-02").get_data(as_text=True)
    assert "新塘街道打击整治养老诈骗专项行动工作情况统计表（2026年2月）" in page
    missing = re.search(r'id="missing-units">(.*?)</div>', page, re.S).group(1)
    assert re.findall(r'data-unit="(\w+)"', missing) == ["bank", "community_shatang"]
    printed = client.get("/returns/summary/2026-02/print").get_data(as_text=True)
    assert "<h1 id=\"print-title\">新塘街道打击整治养老诈骗专项行动工作情况统计表（2026年2月）</h1>" in printed
    assert "未报单位：" in printed and "size: A4 landscape" in printed
    word = Document(io.BytesIO(client.get("/returns/summary/2026-02.docx").data))
    assert word.paragraphs[0].text == "新塘街道打击整治养老诈骗专项行动工作情况统计表（2026年2月）"
    assert word.tables[0].cell(0, 0).text == "项目" and word.tables[0].rows[0].cells[-1].text == "合计"
    assert word.sections[0].page_width > word.sections[0].page_height  # landscape

    response = client.get("/returns/summary/2026-02.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "新塘街道打击整治养老诈骗专项行动工作情况统计表（2026年2月）"
    assert sheet["A2"].value == "填报单位：新塘街道专项办"
    assert sheet.page_setup.orientation == "landscape"

    bad = _post(client, "/returns/market/2026-02/send-back", {"reason": " "})
    assert bad.status_code == 422 and 'id="error-reason"' in bad.get_data(as_text=True)
    assert _post(client, "/returns/market/2026-02/send-back", {"reason": "处置数字与台账不符"}).status_code == 302
    record = _record(session_factory, "market", "2026-02")
    assert (record.status, record.return_reason) == ("returned", "处置数字与台账不符")
    with session_factory() as session:
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id == record.instance_id))
    assert task.status == "open" and task.candidate_group_list == ["market"]
    page = client.get("/returns/summary/2026-02").get_data(as_text=True)
    assert 'data-unit="market" href' in page  # market is among the units not reported again
