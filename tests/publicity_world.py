"""A small world of publicity activities whose figures are counted by hand (tests/test_*publicity*.py).

Now is Friday 20 March 2026, 10:00 Beijing time.

    A1 market             lecture         03-02  塘市         audience 100  materials 200
    A2 market             boards_banners  03-05  农贸市场      boards 10
    A3 police             sms_push        03-10  (elsewhere)  audience 500  messages 500
    A4 community_tangshi  door_to_door    03-19  塘市 (grid)   audience 45   materials 40   households 30
    A5 office             media           03-12  公众号        audience 3000 messages 6
    A6 market             door_to_door    02-27  沙塘         audience 20   materials 15   households 12
    A7 community_shatang  leaflets        03-01  沙塘         audience 120  materials 300
    A8 bank               case_exposure   03-20  营业厅        audience 50   (2 cases: no figure of its own)

March (03-01..03-31), every unit: activities 7, audience 3815, materials 540, boards 10, messages 506,
    households 30.
March, market: 2 / 100 / 200 / 10 / 0 / 0.   March, market and police: 3 / 600 / 200 / 10 / 500 / 0.
February, every unit: 1 / 20 / 15 / 0 / 0 / 12.
March by community: community_tangshi 2 (A1, A4) audience 145 materials 240 households 30;
    community_shatang 1 (A7) audience 120 materials 300; elsewhere 4 (A2, A3, A5, A8) audience 3550,
    boards 10, messages 506.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=BEIJING)

# name: (recorded by, unit, roles, data)
ACTIVITIES = {
    "A1": ("market.officer", "market", {"officer"}, dict(
        held_on="2026-03-02", form="lecture", community="community_tangshi", place="老年活动中心",
        title="保健品防骗讲座", audience=100, materials=200)),
    "A2": ("market.officer", "market", {"officer"}, dict(
        held_on="2026-03-05", form="boards_banners", place="新塘农贸市场", title="市场防骗展板", items=10)),
    "A3": ("police.officer", "police", {"officer"}, dict(
        held_on="2026-03-10", form="sms_push", place="辖区老年手机用户", title="反诈预警短信", audience=500,
        items=500)),
    "A4": ("community_tangshi.grid", "community_tangshi", {"grid_worker"}, dict(
        held_on="2026-03-19", form="door_to_door", community="community_tangshi", title="入户走访宣传",
        audience=45, materials=40, items=30)),
    "A5": ("office.officer", "office", {"officer"}, dict(
        held_on="2026-03-12", form="media", place="街道微信公众号", title="防骗十问十答", audience=3000, items=6)),
    "A6": ("market.officer", "market", {"officer"}, dict(
        held_on="2026-02-27", form="door_to_door", community="community_shatang", title="入户宣传",
        audience=20, materials=15, items=12)),
    "A7": ("community_shatang.officer", "community_shatang", {"officer"}, dict(
        held_on="2026-03-01", form="leaflets", community="community_shatang", title="发放防骗资料",
        audience=120, materials=300)),
    "A8": ("bank.officer", "bank", {"officer"}, dict(
        held_on="2026-03-20", form="case_exposure", place="农商银行营业厅", title="典型案例曝光", audience=50,
        items=2)),
}

MARCH_ALL = dict(activities=7, audience=3815, materials=540, boards=10, messages=506, households=30)
MARCH_MARKET = dict(activities=2, audience=100, materials=200, boards=10, messages=0, households=0)
MARCH_MARKET_POLICE = dict(activities=3, audience=600, materials=200, boards=10, messages=500, households=0)
FEBRUARY_ALL = dict(activities=1, audience=20, materials=15, boards=0, messages=0, households=12)
MARCH_BY_COMMUNITY = {
    "community_tangshi": dict(activities=2, audience=145, materials=240, boards=0, messages=0, households=30),
    "community_shatang": dict(activities=1, audience=120, materials=300, boards=0, messages=0, households=0),
    "elsewhere": dict(activities=4, audience=3550, materials=0, boards=10, messages=506, households=0),
}


def record_all(session, now) -> dict[str, int]:
    """Record A1..A8 through domain.publicity (as their units did); {name: id}."""
    from domain import publicity
    ids = {}
    for name, (username, unit, roles, data) in ACTIVITIES.items():
        who = publicity.Who(username, unit, frozenset(roles))
        ids[name] = publicity.record_activity(session, data, who, now).id
    session.flush()
    return ids
