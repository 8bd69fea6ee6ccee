"""Grid workers report leads (issue 17, item 3): a report from the field becomes a grid-patrol lead
in the special office's triage queue, the grid worker protected as every reporter; the grid worker
follows its status (received, dispatched, closed), never what the units found."""
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from domain.models import GridReport, Lead
from engine.store.models import Attachment, AuditEvent, HumanTask
from tests.conftest import login
from tests.test_web_tasks import TRIAGE, open_task, post, switch_user

GRID = "community_shatang.grid"
REPORT = {"summary": "沙塘社区菜市场旁有人以免费领鸡蛋为由聚集老人，推销“特效药酒”，每瓶1980元。",
          "address": "沙塘社区菜市场东侧临街店面", "subject_name": "沙塘“福康”体验店", "sector": "food_health_products"}


def photo(fmt="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 120, 200)).save(out, fmt)
    return out.getvalue()


def send(client, data=None, files=()):
    body = dict(REPORT if data is None else data)
    if files:
        body["photos"] = [(io.BytesIO(content), name) for name, content in files]
    return post(client, "/grid/report", body, content_type="multipart/form-data")


def reported_lead(session_factory) -> Lead:
    with session_factory() as s:
        return s.scalars(select(Lead).join(GridReport, GridReport.lead_id == Lead.id)
                         .order_by(Lead.id.desc())).first()


def count(session_factory, model, *where) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_a_grid_worker_lands_on_their_reports_with_only_their_own_menu(client):
    login(client, GRID)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/grid/")
    page = client.get("/grid/").text
    assert "上报线索" in page and "我的上报" in page
    assert 'id="nav-inbox"' not in page and 'id="nav-leads"' not in page and "待办" not in page


def test_a_report_becomes_a_grid_patrol_lead_in_the_office_triage_queue(client, session_factory):
    login(client, GRID)
    response = send(client, files=[("现场1.jpg", photo()), ("现场2.png", photo("PNG"))])
    assert response.status_code == 302, response.text
    lead = reported_lead(session_factory)
    assert lead.channel == "grid_patrol" and lead.status == "registered" and lead.address == REPORT["address"]
    assert lead.subject_name == REPORT["subject_name"] and lead.summary == REPORT["summary"]
    # The grid worker is the protected reporter; the lead and its trail name only 网格员上报.
    assert lead.created_by == "grid-intake"
    with session_factory() as s:
        reporter = s.get(Lead, lead.id).reporter
        assert reporter.name == "黄志坚" and reporter.phone
        triage = s.scalars(select(HumanTask).where(HumanTask.instance_id == lead.instance_id,
                                                   HumanTask.status == "open")).one()
        assert triage.element_id == "triage_lead" and "office" in triage.candidate_group_list
        photos = s.scalars(select(Attachment).where(Attachment.instance_id == lead.instance_id)).all()
        assert sorted(p.filename for p in photos) == ["现场1.jpg", "现场2.png"]
        assert {p.uploaded_by for p in photos} == {"grid-intake"}
        trail_actors = set(s.scalars(select(AuditEvent.actor).where(AuditEvent.instance_id == lead.instance_id)))
        assert GRID not in trail_actors
    status = client.get(response.headers["Location"]).text
    assert lead.number in status and 'id="grid-current-stage"' in status and "已受理" in status

    # The office sees it in its queue, the reporter masked, the place and photos shown.
    switch_user(client, "office.officer")
    inbox = client.get("/inbox/").text
    assert lead.number in inbox
    case = client.get(f"/leads/{lead.id}").text
    assert "网格员巡查" in case and REPORT["address"] in case and "网格员上报" in case
    assert "黄志坚" not in case and "黄*坚" in case and GRID not in case
    assert case.count("/thumbnail") >= 2


def test_the_grid_worker_follows_the_status_but_never_the_findings(client, session_factory):
    login(client, GRID)
    response = send(client)
    status_url = response.headers["Location"]
    lead = reported_lead(session_factory)

    switch_user(client, "office.officer")
    triage = open_task(session_factory, "triage_lead", instance_id=lead.instance_id)
    assert post(client, f"/tasks/{triage.id}/complete", TRIAGE).status_code == 302
    switch_user(client, "market.officer")
    accept = open_task(session_factory, "accept_lead", instance_id=lead.instance_id)
    page = client.get(f"/tasks/{accept.id}").text
    assert "黄志坚" not in page and REPORT["address"] in page

    switch_user(client, GRID)
    status = client.get(status_url).text
    assert re.search(r'id="grid-current-stage"[^>]*>已分派办理<', status)
    assert TRIAGE["triage_opinion"] not in status and "新塘市场监督管理所" not in status
    listing = client.get("/grid/").text
    assert lead.number in listing and 'data-stage="dispatched"' in listing
    # The case itself, its task and its evidence stay closed to the grid worker.
    assert client.get(f"/leads/{lead.id}").status_code == 404
    assert client.get(f"/tasks/{accept.id}").status_code in (403, 404)
    assert lead.number not in client.get("/inbox/").text


def test_a_lead_closed_at_triage_reads_as_closed(client, session_factory):
    login(client, GRID)
    status_url = send(client).headers["Location"]
    lead = reported_lead(session_factory)
    switch_user(client, "office.officer")
    triage = open_task(session_factory, "triage_lead", instance_id=lead.instance_id)
    closing = {"triage_decision": "out_of_scope", "triage_opinion": "经研判不属于本专项范围，转相关部门处理。"}
    assert post(client, f"/tasks/{triage.id}/complete", closing).status_code == 302
    switch_user(client, GRID)
    status = client.get(status_url).text
    assert re.search(r'id="grid-current-stage"[^>]*>已办结<', status) and 'id="grid-withdrawn"' in status


@pytest.mark.parametrize("field, data", [
    ("summary", {**REPORT, "summary": ""}),
    ("address", {**REPORT, "address": "  "}),
    ("sector", {**REPORT, "sector": "lottery"}),
])
def test_a_report_missing_what_or_where_is_refused_naming_the_field(client, session_factory, field, data):
    login(client, GRID)
    before = count(session_factory, Lead)
    response = send(client, data)
    assert response.status_code == 422
    assert f'id="error-{field}"' in response.text
    assert count(session_factory, Lead) == before


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_registered(client, session_factory, demo):
    login(client, GRID)
    uploads = Path(demo.config["DUBAN_UPLOAD_DIR"])
    files_before = {p for p in uploads.rglob("*") if p.is_file()}
    before = count(session_factory, Lead), count(session_factory, Attachment)
    response = send(client, files=[("现场.jpg", photo()), ("说明.pdf", b"%PDF-1.4\n%%EOF\n")])
    assert response.status_code == 422 and 'id="error-photos"' in response.text and "说明.pdf" in response.text
    response = send(client, files=[("假照片.jpg", b"not a jpeg at all")])
    assert response.status_code == 422 and 'id="error-photos"' in response.text
    assert (count(session_factory, Lead), count(session_factory, Attachment)) == before
    assert {p for p in uploads.rglob("*") if p.is_file()} == files_before  # no photo left behind


def test_reports_are_the_grid_worker_own(client, session_factory):
    login(client, GRID)
    status_url = send(client).headers["Location"]
    switch_user(client, "community_tangshi.grid")
    assert client.get(status_url).status_code == 404
    assert "沙塘社区菜市场" not in client.get("/grid/").text
    # Grid pages are for grid workers; officers and leaders use the registration page.
    switch_user(client, "office.officer")
    assert client.get("/grid/report").status_code == 403
    assert client.get(status_url).status_code == 403


def test_a_leader_may_reveal_the_grid_worker_identity_with_a_reason(client, session_factory):
    login(client, GRID)
    send(client)
    lead = reported_lead(session_factory)
    switch_user(client, "office.leader")
    page = post(client, f"/leads/{lead.id}/reporter", {"reason": "核实上报情况"}).text
    assert "黄志坚" in page


def test_the_demo_grid_leads_are_grid_workers_reports(client, session_factory):
    with session_factory() as s:
        reports = s.scalars(select(GridReport)).all()
        assert {r.reported_by for r in reports} == {"community_shatang.grid", "community_tangshi.grid"}
        assert all(r.lead.channel == "grid_patrol" and r.lead.address for r in reports)
    login(client, "community_tangshi.grid")
    page = client.get("/grid/").text
    assert page.count("data-report-id") == 1 and "data-stage=" in page
