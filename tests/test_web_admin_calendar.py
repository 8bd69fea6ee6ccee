"""The working-day calendar page (/admin/calendar): an administrator enters the State Council's
schedule for 2027, bad lines are refused by number, only administrators may, and administrators
are warned from 1 November until next year's calendar is confirmed."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.store.calendar_models import CalendarYear, OfficialDay
from engine.store.models import AuditEvent
from tests.conftest import _fast_hash, csrf_token, login

BJ = ZoneInfo("Asia/Shanghai")
SCHEDULE_2027 = """# 国务院办公厅关于2027年部分节假日安排的通知
2027-02-05至2027-02-11 休 春节
2027-02-20 班 春节调休
"""


@pytest.fixture
def client(app, clock):
    """Units and users only: the page needs no processes or cases."""
    from domain.demo import create_units, create_users
    from web.extensions import db

    clock.set(datetime(2026, 12, 6, 9, 0, tzinfo=BJ))
    with app.app_context():
        create_units(db.session)
        create_users(db.session, _fast_hash, "duban-demo-2026")
        db.session.commit()
    return app.test_client()


@pytest.fixture
def admin(client):
    login(client, "admin")
    client.token = csrf_token(client, "/admin/")
    return client


def _save(client, text, confirmed=False, year=2027):
    data = {"csrf_token": client.token, "schedule": text}
    if confirmed:
        data["confirmed"] = "1"
    return client.post(f"/admin/calendar/{year}", data=data)


def _deadline(client, start, n):
    calendar = client.application.extensions["duban"].engine.calendar()
    return calendar.add_workdays(start, n).astimezone(BJ)


def test_an_administrator_enters_the_2027_schedule_and_deadlines_follow_it(admin, session_factory):
    page = admin.get("/admin/calendar/")  # December 2026: next year's page
    assert page.status_code == 200 and "2027" in page.text
    assert 'data-day="2027-02-09" data-kind="holiday" data-source="holidays"' in page.text
    assert 'id="calendar-makeup-missing"' in page.text  # the holidays package has no 调休
    assert _deadline(admin, datetime(2027, 1, 25, 10, tzinfo=BJ), 15).date() == date(2027, 2, 19)

    response = _save(admin, SCHEDULE_2027, confirmed=True)
    assert response.status_code == 302
    page = admin.get("/admin/calendar/2027")
    assert "2027 年工作日历已保存并确认。" in page.text
    assert 'data-day="2027-02-20" data-kind="workday" data-source="official"' in page.text
    assert 'data-source="holidays"' not in page.text  # the entered schedule replaces the library
    assert "国务院放假安排（管理员录入）" in page.text and "已由 系统管理员 于" in page.text
    assert "2027-02-20 班 春节调休" in page.text  # the textarea holds the schedule to edit
    # 11 February is a holiday now, Saturday 20 February a working day.
    assert _deadline(admin, datetime(2027, 1, 25, 10, tzinfo=BJ), 15).date() == date(2027, 2, 20)
    with session_factory() as s:
        assert len(s.scalars(select(OfficialDay)).all()) == 8
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.actor == "admin")).all()
    assert {"calendar.schedule_saved", "calendar.year_confirmed"} <= set(actions)

    admin.get("/lang/en", headers={"Referer": "http://localhost/admin/calendar/2027"})
    english = admin.get("/admin/calendar/2027").text
    assert "State Council schedule (entered)" in english and "Working day" in english


def test_a_bad_line_is_refused_by_its_number_and_nothing_is_saved(admin, session_factory):
    response = _save(admin, "2027-02-05至2027-02-11 休 春节\n2027-02-30 班 春节调休\n")
    assert response.status_code == 400
    assert "第 2 行（“2027-02-30 班 春节调休”）：日期不存在。" in response.text
    assert "2027-02-05至2027-02-11 休 春节" in response.text  # what was typed stays in the form
    response = _save(admin, "2027-02-05 春节\n")
    assert response.status_code == 400 and "第 1 行" in response.text and "放假（休）或上班（班）" in response.text
    with session_factory() as s:
        assert s.scalars(select(OfficialDay)).all() == [] and s.scalars(select(CalendarYear)).all() == []


def test_only_administrators_may(client, session_factory):
    login(client, "office.supervisor")
    token = csrf_token(client)
    assert client.get("/admin/calendar/2027").status_code == 403
    response = client.post("/admin/calendar/2027", data={"csrf_token": token, "schedule": SCHEDULE_2027,
                                                          "confirmed": "1"})
    assert response.status_code == 403
    with session_factory() as s:
        assert s.scalars(select(CalendarYear)).all() == []


def test_the_form_needs_its_csrf_token(admin, session_factory):
    response = admin.post("/admin/calendar/2027", data={"schedule": SCHEDULE_2027})
    assert response.status_code == 400
    with session_factory() as s:
        assert s.scalars(select(CalendarYear)).all() == []


def test_administrators_are_warned_from_november_until_next_year_is_confirmed(admin, client, clock):
    banner = 'id="calendar-banner"'
    clock.set(datetime(2026, 10, 31, 23, 30, tzinfo=BJ))
    assert banner not in admin.get("/admin/").text
    clock.set(datetime(2026, 11, 1, 0, 30, tzinfo=BJ))  # 31 October 16:30 UTC: November in Beijing
    for path in ("/admin/", "/dashboard/", "/inbox/"):
        page = admin.get(path).text
        assert banner in page and "2027 年工作日历尚未确认" in page and 'href="/admin/calendar/2027"' in page, path

    # Confirming the libraries' calendar as it is (no schedule entered) ends the warning.
    assert _save(admin, "", confirmed=True).status_code == 302
    assert banner not in admin.get("/admin/").text and banner not in admin.get("/dashboard/").text


def test_supervisors_see_no_calendar_banner(client, clock):
    clock.set(datetime(2026, 11, 20, 9, 0, tzinfo=BJ))
    login(client, "office.supervisor")
    assert 'id="calendar-banner"' not in client.get("/dashboard/").text


def test_the_days_shown_can_be_started_from_and_saved_back(admin):
    import html
    import re

    page = admin.get("/admin/calendar/2027?prefill=1").text
    text = html.unescape(re.search(r'<textarea[^>]*name="schedule"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    assert "2027-02-09 休 春节（补假）" in text.splitlines()
    assert _save(admin, text + "\n2027-02-20 班 春节调休").status_code == 302
    assert _deadline(admin, datetime(2027, 2, 19, 10, tzinfo=BJ), 1).date() == date(2027, 2, 20)
