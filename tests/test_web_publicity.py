"""The publicity pages (web/publicity): recording with photos, the list and its filters, the Excel
export, who may open and change what, the grid worker's phone pages, and the dashboard's publicity
figures, which are the monthly return's (domain.publicity.return_figures) for the same period.
The world is tests/publicity_world.py's, counted by hand; now is Friday 20 March 2026, 10:00 Beijing."""
import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from domain import publicity
from domain.models import PublicityActivity, PublicityPhoto
from engine.store.models import AuditEvent
from tests import publicity_world as pw
from tests.conftest import _fast_hash, csrf_token, login

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def png(colour=(200, 60, 30)) -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (80, 60), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def world(app, clock):
    from domain.demo import create_units, create_users
    from web.extensions import db

    clock.set(pw.NOW)
    with app.app_context():
        create_units(db.session)
        create_users(db.session, _fast_hash, "duban-demo-2026")
        ids = pw.record_all(db.session, pw.NOW)
        db.session.commit()
    return ids


def client_of(app, username):
    return login(app.test_client(), username)


def uploads(app) -> set[str]:
    folder = Path(app.config["DUBAN_UPLOAD_DIR"])
    return {p.name for p in folder.iterdir() if p.is_file()} if folder.exists() else set()


def count_rows(app, model=PublicityActivity) -> int:
    from web.extensions import db
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


FORM = dict(held_on="2026-03-18", form="boards_banners", community="community_shatang", place="村委会门口",
            title="悬挂防骗横幅", description="沙塘村委会门口悬挂横幅2条、展板6块。", audience="0", materials="0",
            items="8")


def post_form(client, path, data, files=()):
    body = dict(data, csrf_token=csrf_token(client, "/publicity/"))
    if files:
        body["photos"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(path, data=body, content_type="multipart/form-data")


def test_an_officer_records_an_activity_with_photos_and_sees_it(app, world):
    client = client_of(app, "community_shatang.officer")
    response = post_form(client, "/publicity/new", FORM, [("横幅1.png", png()), ("展板.PNG", png((0, 90, 200)))])
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "悬挂防骗横幅" in page.text and "沙塘社区 · 村委会门口" in page.text
    assert "展板/横幅（块）" in page.text and 'id="value-items">8<' in page.text
    photos = re.findall(r'/publicity/photos/(\d+)/thumbnail', page.text)
    assert len(photos) == 2
    thumbnail = client.get(f"/publicity/photos/{photos[0]}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/png"
    full = client.get(f"/publicity/photos/{photos[0]}")
    assert full.status_code == 200 and "sandbox" in full.headers["Content-Security-Policy"]
    from web.extensions import db
    with app.app_context():
        activity = db.session.scalars(select(PublicityActivity).where(PublicityActivity.title == "悬挂防骗横幅")).one()
        assert (activity.unit, activity.items, activity.recorded_by) == ("community_shatang", 8,
                                                                         "community_shatang.officer")
        assert [p.filename for p in activity.photos] == ["横幅1.png", "展板.PNG"]
        assert {p.storage_name for p in activity.photos} <= uploads(app)


def test_bad_input_comes_back_422_beside_each_field_and_keeps_nothing(app, world):
    client = client_of(app, "market.officer")
    before_rows, before_files = count_rows(app), uploads(app)
    bad = dict(FORM, held_on="2026-03-21", audience="-3", items="abc", community="")
    bad["place"] = ""
    response = post_form(client, "/publicity/new", bad, [("现场.png", png())])
    assert response.status_code == 422
    for field, words in (("held_on", "活动日期不能晚于当前时间"), ("audience", "受众人次不能小于0"),
                         ("items", "数量必须是整数"), ("place", "活动地点为必填项")):
        assert re.search(rf'id="error-{field}">[^<]*{words}', response.text), field
    assert 'value="悬挂防骗横幅"' in response.text  # what was typed stays in the form
    assert count_rows(app) == before_rows and uploads(app) == before_files  # the good photo was not kept


def test_a_file_that_is_not_a_photo_is_refused_by_its_content(app, world):
    client = client_of(app, "market.officer")
    before = count_rows(app)
    response = post_form(client, "/publicity/new", FORM, [("photo.jpg", b"<html><script>alert(1)</script>")])
    assert response.status_code == 422
    assert re.search(r'id="error-photos">photo.jpg[^<]*JPG', response.text)
    response = post_form(client, "/publicity/new", FORM, [("notes.pdf", b"%PDF-1.4\n%%EOF\n")])
    assert response.status_code == 422 and "只能上传照片" in response.text
    too_many = [(f"{n}.png", png()) for n in range(publicity.MAX_PHOTOS + 1)]
    response = post_form(client, "/publicity/new", FORM, too_many)
    assert response.status_code == 422 and "最多上传9张照片" in response.text
    assert count_rows(app) == before and count_rows(app, PublicityPhoto) == 0


def _figures(html) -> dict[str, int]:
    return {key: int(value) for key, value in re.findall(r'data-figure="(\w+)">(\d+)<', html)}


def _listed(html) -> set[int]:
    return {int(i) for i in re.findall(r'<tr data-activity-id="(\d+)"', html)}


def test_the_list_filters_and_its_figures_are_the_returns(app, world):
    client = client_of(app, "office.leader")
    page = client.get("/publicity/", query_string=MARCH)
    assert page.status_code == 200
    assert _figures(page.text) == pw.MARCH_ALL
    assert _listed(page.text) == {world[n] for n in ("A1", "A2", "A3", "A4", "A5", "A7", "A8")}
    page = client.get("/publicity/", query_string=dict(MARCH, unit="market"))
    assert _figures(page.text) == pw.MARCH_MARKET and _listed(page.text) == {world["A1"], world["A2"]}
    page = client.get("/publicity/", query_string=dict(MARCH, community="elsewhere"))
    assert _figures(page.text) == pw.MARCH_BY_COMMUNITY["elsewhere"]
    page = client.get("/publicity/", query_string=dict(MARCH, community="community_tangshi", form="door_to_door"))
    assert _listed(page.text) == {world["A4"]} and _figures(page.text)["households"] == 30
    page = client.get("/publicity/", query_string={"from": "2026-02-01", "to": "2026-02-28"})
    assert _figures(page.text) == pw.FEBRUARY_ALL
    assert client.get("/publicity/", query_string={"form": "parade"}).status_code == 400
    assert client.get("/publicity/", query_string={"unit": "nowhere"}).status_code == 404
    assert client.get("/publicity/", query_string={"from": "2026-13-01"}).status_code == 400
    # Labels, never codes: the form and the units read in Chinese.
    page = client.get("/publicity/", query_string=MARCH)
    assert "短信/推送" in page.text and "新塘市场监督管理所" in page.text and ">sms_push<" not in page.text


def test_an_officer_lists_only_their_units_and_may_not_pick_another(app, world):
    client = client_of(app, "market.officer")
    page = client.get("/publicity/")
    assert _listed(page.text) == {world["A1"], world["A2"], world["A6"]}
    assert client.get("/publicity/", query_string={"unit": "police"}).status_code == 403
    assert _figures(client.get("/publicity/", query_string=MARCH).text) == pw.MARCH_MARKET


def test_the_export_has_the_rows_and_the_figures(app, world):
    client = client_of(app, "office.officer")
    response = client.get("/publicity/export.xlsx", query_string=MARCH)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book["宣传活动"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 7
    by_title = {row[6]: row for row in rows}
    sms = by_title["反诈预警短信"]
    assert sms[2] == "新塘派出所" and sms[5] == "短信/推送" and sms[10] == 500 and sms[11] == "短信/推送（条）"
    assert by_title["保健品防骗讲座"][3] == "塘市社区" and by_title["保健品防骗讲座"][10] is None
    summary = {row[0]: row[1:] for row in book["统计"].iter_rows(values_only=True) if row and row[0]}
    assert list(summary["合计"]) == list(pw.MARCH_ALL.values())
    assert list(summary["新塘市场监督管理所"]) == list(pw.MARCH_MARKET.values())
    assert list(summary["其他地点"]) == list(pw.MARCH_BY_COMMUNITY["elsewhere"].values())
    officer = client_of(app, "police.officer").get("/publicity/export.xlsx")
    rows = list(load_workbook(io.BytesIO(officer.data))["宣传活动"].iter_rows(min_row=2, values_only=True))
    assert [row[6] for row in rows] == ["反诈预警短信"]  # only their unit's


def test_another_units_record_is_not_theirs_to_see_or_change(app, world):
    a1, a6 = world["A1"], world["A6"]
    police = client_of(app, "police.officer")
    assert police.get(f"/publicity/{a1}").status_code == 404
    assert police.get(f"/publicity/{a1}/edit").status_code == 404
    response = police.post(f"/publicity/{a1}/delete", data={"csrf_token": csrf_token(police, "/publicity/")})
    assert response.status_code == 404
    police_head = client_of(app, "police.supervisor")
    assert police_head.get(f"/publicity/{a1}").status_code == 200  # supervisors see all
    assert police_head.get(f"/publicity/{a1}/edit").status_code == 403
    assert police_head.get("/publicity/new").status_code == 403     # and record nothing
    market = client_of(app, "market.officer")
    assert market.get(f"/publicity/{a6}").status_code == 200
    assert market.get(f"/publicity/{a6}/edit").status_code == 403   # February's: in its return already
    assert 'id="link-edit"' not in market.get(f"/publicity/{a6}").text
    assert count_rows(app) == len(world)


def test_the_recording_unit_changes_and_deletes_in_the_month_audited(app, world):
    client = client_of(app, "market.officer")
    data = dict(pw.ACTIVITIES["A1"][3], audience="130", community="community_tangshi")
    response = post_form(client, f"/publicity/{world['A1']}/edit", data, [("讲座.png", png())])
    assert response.status_code == 302
    page = client.get(f"/publicity/{world['A1']}")
    assert 'id="value-audience">130<' in page.text
    photo_id = int(re.search(r'/publicity/photos/(\d+)/thumbnail', page.text).group(1))
    response = post_form(client, f"/publicity/{world['A1']}/edit", dict(data, remove_photo=str(photo_id)))
    assert response.status_code == 302 and count_rows(app, PublicityPhoto) == 0
    bad = post_form(client, f"/publicity/{world['A1']}/edit", dict(data, held_on="2026-02-27"))
    assert bad.status_code == 422 and "只能改为本月的日期" in bad.text
    response = client.post(f"/publicity/{world['A2']}/delete", data={"csrf_token": csrf_token(client, "/publicity/")})
    assert response.status_code == 302 and count_rows(app) == len(world) - 1
    from web.extensions import db
    with app.app_context():
        actions = [a for a in db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "market.officer"))
                   if a.startswith("publicity.")]
    assert actions.count("publicity.updated") == 2 and "publicity.deleted" in actions
    assert {"publicity.photo_added", "publicity.photo_removed"} <= set(actions)
    office = client_of(app, "office.officer")  # the office corrects any month
    assert office.get(f"/publicity/{world['A6']}/edit").status_code == 200


def test_a_grid_worker_records_a_door_to_door_visit_and_sees_only_their_own(app, world):
    client = client_of(app, "community_tangshi.grid")
    inbox = client.get("/inbox/")
    assert re.search(r'id="nav-publicity">入户走访', inbox.text)
    form = client.get("/publicity/visits/new")
    assert form.status_code == 200
    assert 'value="2026-03-20"' in form.text                        # today, in Beijing
    assert re.search(r'<option value="community_tangshi" selected>', form.text)  # their community
    assert 'accept="image/*" capture="environment"' in form.text
    response = post_form(client, "/publicity/visits/new", {"held_on": "2026-03-20", "community": "community_tangshi",
                                                           "place": "塘市路9号楼", "items": "18", "audience": "26",
                                                           "materials": "20"}, [("入户.png", png())])
    assert response.status_code == 302 and response.headers["Location"].endswith("/publicity/mine")
    mine = client.get("/publicity/mine")
    assert "18户" in mine.text and "塘市路9号楼" in mine.text and "1张照片" in mine.text
    from web.extensions import db
    with app.app_context():
        visit = db.session.scalars(select(PublicityActivity).where(PublicityActivity.place == "塘市路9号楼")).one()
        assert (visit.form, visit.unit, visit.items, visit.title) == ("door_to_door", "community_tangshi", 18,
                                                                       "入户走访宣传")
    assert client.get(f"/publicity/{world['A1']}").status_code == 404  # the unit's other work is not theirs
    assert _listed(client.get("/publicity/").text) == {world["A4"], visit.id}
    bad = post_form(client, "/publicity/visits/new", {"held_on": "2026-03-20", "community": "community_tangshi",
                                                      "items": "-2"})
    assert bad.status_code == 422 and re.search(r'id="error-items">[^<]*不能小于0', bad.text)


def test_the_dashboards_publicity_figures_are_the_returns(app, world):
    from web.extensions import db
    client = client_of(app, "office.leader")
    for args, units in ((MARCH, None), (dict(MARCH, unit="market"), {"market"}),
                        ({"from": "2026-02-01", "to": "2026-02-28"}, None)):
        page = client.get("/dashboard/", query_string=args)
        assert page.status_code == 200
        shown = {key: int(value) for key, value in re.findall(
            r'id="kpi-publicity-\w+"><div class="kpi-name">[^<]*</div>\s*<div class="kpi-value">(?:<a|<span) '
            r'class="pub-fig" data-figure="publicity-(\w+)"[^>]*>(\d+)<', page.text)}
        with app.app_context():
            expected = publicity.return_figures(db.session, units, date.fromisoformat(args["from"]),
                                                date.fromisoformat(args["to"]))
        assert shown == expected, args
    page = client.get("/dashboard/", query_string=MARCH)
    assert shown and expected == pw.FEBRUARY_ALL
    table = page.text.split('id="table-publicity-community"')[1].split("</table>")[0]
    tangshi = table.split('data-key="community_tangshi"')[1].split("</tr>")[0]
    assert re.findall(r'>(\d+)<', tangshi) == [str(v) for v in pw.MARCH_BY_COMMUNITY["community_tangshi"].values()]
    assert "其他地点" in table
    form_table = page.text.split('id="table-publicity-form"')[1].split("</table>")[0]
    assert "入户走访" in form_table and "door_to_door</td>" not in form_table



def test_the_pages_read_in_english_too(app, world):
    client = client_of(app, "office.leader")
    client.get("/lang/en")
    page = client.get("/publicity/", query_string=MARCH)
    assert "Publicity activities" in page.text and "Text messages and pushes" in page.text
    assert "People reached" in page.text and "Xintang Police Station" in page.text
    show = client.get(f"/publicity/{world['A3']}")
    assert "Messages sent" in show.text and "Recording unit" in show.text
    assert "Publicity" in client.get("/dashboard/", query_string=MARCH).text


def test_the_dashboard_shows_publicity_by_campaign_phase(app, world):
    """宣传发动 by phase: each phase's figures over the days it shares with the chosen period, the same
    figures as the monthly return's, and together they make the period's."""
    from domain.models import Campaign, CampaignPhase
    from web.extensions import db
    with app.app_context():
        db.session.add(Campaign(name_zh="打击整治养老诈骗专项行动", level="town", first_day=date(2026, 2, 1),
                                last_day=date(2026, 12, 31), created_at=pw.NOW, updated_at=pw.NOW, phases=[
            CampaignPhase(kind="publicity", name="宣传发动", first_day=date(2026, 2, 1), last_day=date(2026, 3, 10)),
            CampaignPhase(kind="strike", name="打击整治", first_day=date(2026, 3, 11), last_day=date(2026, 11, 30))]))
        db.session.commit()
        expected = [publicity.return_figures(db.session, None, first, last) for first, last in (
            (date(2026, 2, 1), date(2026, 3, 10)), (date(2026, 3, 11), date(2026, 3, 31)))]
        whole = publicity.return_figures(db.session, None, date(2026, 2, 1), date(2026, 3, 31))
    page = client_of(app, "office.leader").get("/dashboard/", query_string={"from": "2026-02-01", "to": "2026-03-31"})
    table = page.text.split('id="table-publicity-phase"')[1].split("</table>")[0]
    assert "按行动阶段" in page.text and "宣传发动" in table and "打击整治" in table
    rows = [re.findall(r'data-figure="publicity-\w+">(?:<a href="[^"]*">)?(\d+)<', row)
            for row in table.split("<tr data-phase=")[1:]]
    assert rows == [[str(v) for v in figures.values()] for figures in expected]
    assert {key: expected[0][key] + expected[1][key] for key in whole} == whole
    assert expected[0]["activities"] and expected[1]["activities"]  # both phases had activities
