"""Sign-in, the inbox and access between units, through the Flask test client."""
import re

from sqlalchemy import select

from engine.store.models import HumanTask
from tests.conftest import csrf_token, login


def _task_ids(page):
    return [int(i) for i in re.findall(r'<tr data-task-id="(\d+)"', page.text)]


def test_pages_need_a_signed_in_user(client):
    response = client.get("/inbox/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused_with_a_message_and_the_form_keeps_the_username(client):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": "market.officer", "password": "nope", "csrf_token": token})
    assert response.status_code == 400
    assert "用户名或密码错误" in response.text and 'value="market.officer"' in response.text


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "market.officer", "password": "duban-demo-2026"})
    assert response.status_code == 400


def test_inbox_shows_my_units_tasks_in_chinese_with_countdown(client, session_factory):
    login(client, "market.officer")
    page = client.get("/inbox/")
    assert page.status_code == 200 and "待办" in page.text
    ids = _task_ids(page)
    with session_factory() as s:
        tasks = s.scalars(select(HumanTask).where(HumanTask.id.in_(ids))).all()
    assert tasks and all("market" in t.candidate_group_list or t.assignee == "market.officer" for t in tasks)
    assert re.search(r"剩\d+天", page.text)


def test_english_is_available(client):
    login(client, "market.officer")
    client.get("/lang/en")
    page = client.get("/inbox/")
    assert "To do" in page.text and "待办" not in page.text


def test_claim_and_release_from_the_inbox(client, session_factory):
    login(client, "market.officer")
    task_id = _task_ids(client.get("/inbox/"))[0]
    token = csrf_token(client)
    response = client.post(f"/inbox/{task_id}/claim", data={"csrf_token": token}, follow_redirects=True)
    assert "已签收任务" in response.text
    with session_factory() as s:
        assert s.get(HumanTask, task_id).assignee == "market.officer"
    assert _task_ids(client.get("/inbox/?mine=1")) == [task_id]
    client.post(f"/inbox/{task_id}/unclaim", data={"csrf_token": token})
    with session_factory() as s:
        assert s.get(HumanTask, task_id).assignee is None


def test_an_officer_of_another_unit_cannot_open_or_claim_the_task(client, session_factory):
    login(client, "market.officer")
    task_id = _task_ids(client.get("/inbox/"))[0]
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "police.officer")
    assert task_id not in _task_ids(client.get("/inbox/"))
    assert client.get(f"/tasks/{task_id}").status_code == 404
    token = csrf_token(client)
    assert client.post(f"/inbox/{task_id}/claim", data={"csrf_token": token}).status_code == 404


def test_inbox_filters_and_search(client):
    login(client, "office.officer")
    everything = _task_ids(client.get("/inbox/"))
    assert everything
    assert _task_ids(client.get("/inbox/?q=XS-2026-000001")) != everything or len(everything) == 1
    assert _task_ids(client.get("/inbox/?due=overdue")) == []
    assert client.get("/inbox/?sort=priority&process=lead_handling&sector=elderly_tourism").status_code == 200


def test_security_headers_are_set(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
