"""The demo's publicity activities (宣传发动): the campaign's launch from late April 2026 (lectures,
boards, leaflets, messages, media, exposed cases across the units) and the grid workers' recent
door-to-door rounds in 塘市 and 沙塘, so the dashboard shows publicity figures on first start.

Dates: the early activities count days from the campaign's launch (20 April 2026), or from 45 days
before the demo's day when that is earlier (tests build the demo in March 2026); the recent ones count
days back from the demo's day. Every activity goes through domain.publicity.record_activity."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from domain import publicity
from domain.models import User
from engine.workcal import CHINA_TZ

LAUNCH = date(2026, 4, 20)

# (days after the launch, unit, recorded by, form, community, place, title, audience, materials, items)
EARLY = [
    (0, "office", "office.officer", "lecture", None, "新塘街道文化广场",
     "打击整治养老诈骗专项行动宣传启动仪式暨防骗讲座", 320, 600, 0),
    (1, "civil_affairs", "civil_affairs.officer", "boards_banners", None, "辖区各养老机构",
     "防范养老领域非法集资宣传展板进机构", 150, 0, 24),
    (2, "market", "market.officer", "leaflets", None, "新塘农贸市场",
     "保健品虚假宣传防范资料进市场", 260, 800, 0),
    (3, "police", "police.officer", "lecture", "community_tangshi", "塘市社区老年活动中心",
     "反诈民警进社区：识破“养老投资”骗局", 120, 200, 0),
    (4, "bank", "bank.officer", "sms_push", None, "本行老年客户",
     "防范以“养老”名义非法集资风险提示短信", 1200, 0, 1200),
    (5, "community_shatang", "community_shatang.officer", "boards_banners", "community_shatang", "沙塘村主干道",
     "悬挂打击整治养老诈骗宣传横幅", 0, 0, 12),
    (7, "justice", "justice.officer", "case_exposure", None, "新塘司法所普法长廊",
     "养老诈骗典型案例以案释法", 80, 100, 5),
    (9, "enterprise_service", "enterprise_service.officer", "lecture", None, "企业服务中心会议室",
     "养老服务企业防范非法集资政策宣讲会", 60, 120, 0),
    (12, "health", "health.officer", "leaflets", "community_tangshi", "塘市社区卫生服务站",
     "健康义诊暨识别保健品骗局宣传", 180, 350, 0),
    (14, "office", "office.officer", "media", None, "新塘街道微信公众号",
     "“防范养老诈骗十问十答”系列推送", 5200, 0, 6),
    (18, "urban_enforcement", "urban_enforcement.officer", "boards_banners", None, "世纪大道沿线公交站台",
     "公共场所防范养老诈骗公益广告展板", 0, 0, 20),
    (20, "court", "court.officer", "case_exposure", "community_shatang", "沙塘社区综治中心",
     "巡回审判：一起以“预订床位”为名的集资诈骗案", 90, 60, 1),
]

# (days before the demo's day, unit, recorded by, form, community, place, title, audience, materials, items)
RECENT = [
    (0, "community_tangshi", "community_tangshi.grid", "door_to_door", "community_tangshi", "塘市路1-3号楼",
     "入户走访宣传", 58, 40, 36),
    (1, "community_shatang", "community_shatang.grid", "door_to_door", "community_shatang", "沙塘村一组、二组",
     "入户走访宣传", 41, 30, 28),
    (2, "market", "market.officer", "lecture", "community_shatang", "沙塘社区文化室",
     "保健品消费防骗知识讲座", 85, 150, 0),
    (3, "community_tangshi", "community_tangshi.grid", "door_to_door", "community_tangshi", "塘市路5-8号楼",
     "入户走访宣传", 45, 35, 30),
    (4, "bank", "bank.officer", "leaflets", None, "农商银行新塘支行营业厅",
     "厅堂防范养老诈骗宣传", 210, 400, 0),
    (5, "community_shatang", "community_shatang.grid", "door_to_door", "community_shatang", "沙塘村三组",
     "入户走访宣传", 33, 25, 25),
    (6, "office", "office.officer", "media", None, "街道LED大屏、村居广播",
     "投放防范养老诈骗公益广告", 0, 0, 40),
    (8, "community_tangshi", "community_tangshi.officer", "boards_banners", "community_tangshi", "塘市社区宣传栏",
     "更新防范养老诈骗宣传栏", 0, 0, 6),
    (10, "police", "police.officer", "sms_push", None, "辖区60岁以上手机用户",
     "反诈预警提示短信", 1500, 0, 1500),
    (11, "civil_affairs", "civil_affairs.officer", "lecture", None, "街道社会事务办会议室",
     "养老机构负责人警示教育会", 45, 45, 0),
]


def _recorded_at(day: date, now: datetime) -> datetime:
    evening = datetime.combine(day, time(18, 0), CHINA_TZ)
    return min(evening, now.astimezone(CHINA_TZ))


def load_publicity(session, now: datetime) -> list[int]:
    """Record the demo's activities as their units' officers and grid workers did; returns their ids."""
    today = publicity.beijing_today(now)
    base = min(LAUNCH, today - timedelta(days=45))
    users = {user.username: user for user in session.scalars(select(User))}
    planned = [(base + timedelta(days=offset), *rest) for offset, *rest in EARLY]
    planned += [(max(base, today - timedelta(days=ago)), *rest) for ago, *rest in RECENT]
    ids = []
    for day, _unit, username, form, community, place, title, audience, materials, items in sorted(
            planned, key=lambda row: row[0]):
        who = publicity.Who.of(users[username])
        activity = publicity.record_activity(session, {
            "held_on": day.isoformat(), "form": form, "community": community or "", "place": place, "title": title,
            "audience": audience, "materials": materials, "items": items}, who, now)
        activity.recorded_at = _recorded_at(day, now)
        ids.append(activity.id)
    session.flush()
    return ids
