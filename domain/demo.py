"""Demo data: 新塘街道's special office, member units and two communities, their
users, the institutions (subjects) of the campaign and the leads that came in about
them (names and facts are invented).

`load_demo` creates the cast (units, users, subjects); domain.demo_story plays what
happened since the campaign began through the real processes (`flask demo` runs both).
"""
from datetime import date

from sqlalchemy import select

from domain import records
from domain.creditcode import check_character
from domain.errors import DubanError
from domain.models import Campaign, CampaignPhase, Unit, User, WorkingGroup
from engine import clock

DEMO_ACTOR = "demo"
DEFAULT_PASSWORD = "duban-demo-2026"
EMAIL_DOMAIN = "xintang.example.com"

# code, Chinese name, English name, kind
UNITS = [
    ("office", "新塘街道专项办", "Xintang Sub-district Special Office", "office"),
    ("civil_affairs", "新塘街道社会事务办", "Xintang Civil Affairs Office", "member_unit"),
    ("market", "新塘市场监督管理所", "Xintang Market Regulation Station", "member_unit"),
    ("health", "新塘街道卫健办", "Xintang Health Office", "member_unit"),
    ("land", "新塘国土所", "Xintang Land Resources Station", "member_unit"),
    ("urban_enforcement", "新塘街道综合执法中队", "Xintang Urban Enforcement Squad", "member_unit"),
    ("police", "新塘派出所", "Xintang Police Station", "member_unit"),
    ("court", "青阳法庭", "Qingyang People's Tribunal", "member_unit"),
    ("justice", "新塘司法所", "Xintang Justice Office", "member_unit"),
    ("enterprise_service", "新塘街道企业服务中心", "Xintang Enterprise Service Centre", "member_unit"),
    ("bank", "农商银行新塘支行", "Rural Commercial Bank, Xintang Branch", "member_unit"),
    ("community_tangshi", "塘市社区", "Tangshi Community", "community"),
    ("community_shatang", "沙塘社区", "Shatang Community", "community"),
    # added with the strike records; last, so everyone else keeps their name and phone
    ("procuratorate", "新塘检察室", "Xintang Procuratorate Office", "member_unit"),
]
# 政法单位: they record the strike's criminal cases (domain.strike) and see their details.
LAW_ENFORCEMENT = {"police", "court", "procuratorate"}
# Units added after the first demo: their users draw names from a list of their own.
LATER_UNITS = {"procuratorate"}
_LATER_NAMES = ["吕晓峰", "姚丽君"]

_NAMES = ["陈志明", "林晓燕", "黄建华", "吴丽珍", "王国栋", "许雅婷", "蔡明辉", "洪丽华", "施家豪", "庄淑芬",
          "李文斌", "张美玲", "郑国强", "苏静怡", "杨振宇", "曾雪梅", "刘德胜", "谢婉清", "周子恒", "柯秀兰",
          "丁海涛", "邱佳慧", "卢志远", "高晓琳", "潘俊杰", "何玉珠", "方永福", "董思颖", "彭国华", "余美娟"]

# name, 17 first characters of the credit code, address, sector, legal representative
SUBJECTS = [
    ("晋江市福寿康养老服务有限公司", "91350582MA31RK6T1", "晋江市新塘街道塘市路88号", "illegal_fundraising", "蔡某"),
    ("晋江市夕阳红旅游有限公司", "91350582MA2Y8QH4X", "晋江市新塘街道世纪大道126号", "tourism_art", "吴某"),
    ("泉州长青健康科技有限公司", "91350500MA34B7LN2", "晋江市新塘街道沙塘村工业区3号", "food_health_products", "黄某"),
    ("晋江市颐和养老公寓", "52350582MJ0C9K3D7", "晋江市新塘街道新塘路205号", "unlicensed_medical", "许某"),
    ("福建康乐颐养投资管理有限公司", "91350000MA2XN7P65", "晋江市新塘街道晋新路9号", "elderly_projects", "林某"),
    ("晋江市松鹤园置业有限公司", "91350582MA32FTU08", "晋江市新塘街道梅岭路18号", "elderly_housing", "施某"),
    ("晋江福泰养生文化传播有限公司", "91350582MA8R3WJ11", "晋江市新塘街道塘市社区商业街12号", "tourism_art", "洪某"),
    ("泉州银龄网络科技有限公司", "91350503MA35D9E2K", "泉州市丰泽区东海大街56号", "internet_traps", "郑某"),
    ("晋江市金色年华养老服务中心", "52350582MJ0D41A7Y", "晋江市新塘街道沙塘社区文化路7号", "illegal_fundraising", "庄某"),
    ("晋江市乐龄生态农业开发有限公司", "91350582MA33GH0L4", "晋江市新塘街道沙塘村后山片区", "care_land", "苏某"),
]

# The leads in the order they came in: received (working days before the demo's day, Beijing time),
# channel, subject index or name (or (name, 17 characters of a credit code)), sector, summary,
# reporter (name, phone) or "anonymous" or None, major. domain.demo_story says what became of each.
LEADS = [
    ((22, "09:20"), "police_110", None, "internet_traps",
     "报警人称接到自称“社保局工作人员”电话，称可代办“高龄养老补贴”，需先缴纳手续费2000元，已转账。",
     ("蔡老伯", "13905950001"), False),
    ((20, "10:15"), "grid_patrol", "沙塘社区流动摊点", "food_health_products",
     "网格员在沙塘社区巡查发现流动人员以“免费领鸡蛋”为由聚集老人，推销所谓“特效药酒”，已劝离并登记车辆信息。",
     None, False),
    ((19, "09:05"), "platform_12337", 0, "illegal_fundraising",
     "群众反映晋江市福寿康养老服务有限公司以“预订床位”名义向老人收取会员费，每人1万元至5万元不等，"
     "承诺年返利8%，近期已有老人反映无法退费。", ("王秀英", "13905951234"), True),
    ((18, "14:40"), "hotline_12345", 0, "illegal_fundraising",
     "来电人称其母亲在福寿康养老服务公司办理“养老会员卡”交了3万元，对方称可优先入住并每月返还利息，"
     "近两个月利息停发，公司负责人联系不上。", ("李建平", "13859961122"), False),
    ((17, "10:00"), "police_110", 2, "food_health_products",
     "报警人称其父亲参加长青健康科技公司组织的“免费体检、健康讲座”，被诱导以2.6万元购买“降糖降压”保健品，"
     "产品无批准文号。", ("陈建国", "13605953456"), False),
    ((16, "11:00"), "market_regulation", 6, "tourism_art",
     "举报福泰养生文化传播有限公司以“收藏品升值”为名向老年人高价销售纪念币、字画，宣称“三年翻倍、公司回购”。",
     ("林美华", "0595-85661234"), False),
    ((15, "09:30"), "grid_patrol", "塘市社区“健康驿站”体验店", "food_health_products",
     "网格员巡查发现塘市社区某店面每日上午组织老年人听课并发放鸡蛋、挂面等礼品，现场推销“量子养生床垫”，"
     "售价1.98万元。", None, False),
    ((14, "10:00"), "financial_regulation", 4, "elderly_projects",
     "金融监管部门转来线索：福建康乐颐养投资管理有限公司以投资“康养小镇”项目为名向社会公众吸收资金，"
     "承诺年化收益12%，涉及老年人约200人。", None, True),
    ((14, "16:20"), "superior_transfer", 5, "elderly_housing",
     "区专项办转办：松鹤园置业有限公司销售“松鹤颐养苑”商品住房时宣称“买房送养老服务、以房养老保收益”，"
     "涉嫌以“养老”名义虚假宣传。", None, False),
    ((12, "09:15"), "leader_assignment", 3, "unlicensed_medical",
     "街道领导批办：颐和养老公寓内设医务室无《医疗机构执业许可证》，聘用无执业资格人员为入住老人输液、开药。",
     None, True),
    ((11, "10:40"), "mass_report", 7, "internet_traps",
     "群众来信反映：银龄网络科技有限公司开发“银龄宝”手机APP，通过直播陪聊诱导老年人充值打赏、购买“理财课程”，"
     "其父累计充值4万余元。", "anonymous", False),
    ((10, "09:30"), "department_transfer", 9, "care_land",
     "国土所移交：乐龄生态农业开发有限公司在养老服务设施用地上建设独栋别墅并对外销售，涉嫌违规改变用地性质"
     "变相开发房地产。", None, False),
    ((9, "11:20"), "hotline_12345", 1, "tourism_art",
     "市民反映夕阳红旅游公司组织“99元三日游”，行程中安排老人进入玉器、茶叶店购物，多名老人被诱导消费数千元。",
     ("张阿婆", "13960901234"), False),
    ((8, "09:10"), "platform_12337", 8, "illegal_fundraising",
     "举报人称金色年华养老服务中心向老人推销“终身会员卡”，一次性缴纳10万元可终身免费入住，资金去向不明。",
     ("许文龙", "15880012345"), True),
    ((7, "14:00"), "market_regulation", 2, "food_health_products",
     "市场监管部门接举报：长青健康科技公司在沙塘村租用场地开展“健康讲座”，宣称保健品可“替代药物、根治糖尿病”。",
     None, False),
    ((5, "16:00"), "mass_report", "新塘“康源中医养生馆”", "unlicensed_medical",
     "群众电话反映新塘某“中医养生馆”无医师资格人员为老人针灸、推拿并销售自制药丸，有老人服用后身体不适。",
     ("郑女士", "13328881234"), False),
    ((4, "09:30"), "superior_transfer", 4, "elderly_projects",
     "市专项办转办：康乐颐养公司通过微信群发布“养老项目众筹”，以“认购床位、到期回购”名义继续吸收资金。",
     None, True),
    ((3, "10:30"), "financial_regulation", None, "illegal_fundraising",
     "农商银行新塘支行报告：多名老年客户近期集中大额取现并转账至同一账户，柜面询问称用于“养老项目分红”，"
     "疑似非法集资。", None, False),
    ((2, "15:00"), "leader_assignment", "沙塘社区“幸福食堂”", "food_health_products",
     "街道领导批办：沙塘社区“幸福食堂”承包人借助餐之机向老人推销“富硒营养粉”，每盒售价1280元。",
     ("沙塘社区居委会", "0595-85998800"), False),
    ((0, "08:40"), "department_transfer", ("晋江市福瑞祥文化艺术有限公司", "91350582MA8TK2E5R"), "tourism_art",
     "文旅部门移交：福瑞祥文化艺术有限公司举办“书画鉴赏会”，以“名家真迹、包赚不赔”诱导老年人购买字画。",
     None, False),
]

# What the unit ordered rectified when it fed back on the lead (by its index in LEADS): problem, measures.
RECTIFICATION_PROBLEMS = {
    4: ("保健品宣传夸大功效，部分产品无批准文号。", "下架无批准文号产品；更正虚假宣传；配合办理退货退款。"),
    9: ("内设医务室未取得《医疗机构执业许可证》，由无执业资格人员开展诊疗活动。",
        "立即停止医务室诊疗活动；与有资质的医疗机构签订医养结合服务协议；7日内提交整改报告。"),
    11: ("在养老服务设施用地上违规建设独栋别墅并对外销售。", "立即停止销售；依法处置违法建筑；恢复养老服务设施用地用途。"),
    12: ("组织“低价游”并安排老年人进店购物。", "停止“低价游”产品销售；退还老人购物款；对导游开展法规培训。"),
}


def credit_code(first17: str) -> str:
    return first17 + check_character(first17)


def create_units(session) -> dict[str, int]:
    """The demo units; member units and communities report to the special office."""
    office = None
    ids = {}
    for code, name_zh, name_en, kind in UNITS:
        unit = Unit(code=code, name_zh=name_zh, name_en=name_en, kind=kind, parent=office, active=True,
                    law_enforcement=code in LAW_ENFORCEMENT)
        session.add(unit)
        office = office or unit
    session.flush()
    for unit in session.scalars(select(Unit)):
        ids[unit.code] = unit.id
    return ids


# 网格员, one per community (signs in as <community>.grid)
GRID_WORKERS = [("community_tangshi", "陈丽琴"), ("community_shatang", "黄志坚")]


# Leads (by index in LEADS) a grid worker reported from the phone: (their community, where). The grid
# worker is the reporter.
GRID_REPORTS = {1: ("community_shatang", "沙塘社区菜市场路口"), 6: ("community_tangshi", "塘市社区塘市路88号临街店面")}


def _user(session, username, display_name, unit, roles, password_hash, index) -> User:
    user = User(username=username, display_name=display_name, password_hash=password_hash, unit=unit,
                email=f"{username.replace('.', '_')}@{EMAIL_DOMAIN}", phone=f"1380595{index:04d}",
                locale="zh", active=True, created_at=clock.now())
    user.set_roles(roles)
    session.add(user)
    return user


def create_users(session, hash_password=None, password: str = DEFAULT_PASSWORD) -> dict[str, int]:
    """An officer and a supervisor per unit; the office also has a leader and an administrator."""
    password_hash = hash_password(password) if hash_password else None
    units = {unit.code: unit for unit in session.scalars(select(Unit))}
    names = iter(_NAMES)
    index = 0
    users = []

    def unit_users(unit, names):
        nonlocal index
        for suffix, roles in (("officer", ["officer"]), ("supervisor", ["supervisor"])):
            index += 1
            users.append(_user(session, f"{unit.code}.{suffix}", next(names), unit, roles, password_hash, index))

    for code, unit in units.items():
        if code not in LATER_UNITS:
            unit_users(unit, names)
    leader = _user(session, "office.leader", next(names), units["office"], ["office_leader", "supervisor"],
                   password_hash, index + 1)
    users.append(leader)
    users.append(_user(session, "admin", "系统管理员", units["office"], ["administrator"], password_hash, index + 2))
    for offset, (code, name) in enumerate(GRID_WORKERS, start=index + 3):
        users.append(_user(session, f"{code}.grid", name, units[code], ["grid_worker"], password_hash, offset))
    index += 2 + len(GRID_WORKERS)
    later_names = iter(_LATER_NAMES)
    for code, unit in units.items():
        if code in LATER_UNITS:
            unit_users(unit, later_names)
    member_units = [unit for unit in units.values() if unit.kind != "office"]
    for user in users:
        if user.username in ("office.supervisor", "office.leader"):
            user.supervised_units = list(member_units)
        elif user.username.endswith(".supervisor"):
            user.supervised_units = [user.unit]
    session.flush()
    return {user.username: user.id for user in users}


# The campaign as the seeds run it (新塘街道实施方案): 宣传发动 from late April, 打击整治 from 1 May,
# 总结提升 to the year's end. Phases do not overlap (publicity goes on throughout, but is counted
# in its own phase only while it is the main work).
CAMPAIGN = ("新塘街道打击整治养老诈骗专项行动", "Xintang Sub-district Campaign against Elder-care Fraud", "town",
            date(2026, 4, 20), date(2026, 12, 31))
PHASES = [
    ("publicity", "宣传发动", date(2026, 4, 20), date(2026, 4, 30)),
    ("strike", "打击整治", date(2026, 5, 1), date(2026, 11, 30)),
    ("summary", "总结提升", date(2026, 12, 1), date(2026, 12, 31)),
]
# The special office's working groups (实施方案 三、组织架构): code, names, members (demo usernames).
WORKING_GROUPS = [
    ("group_general", "综合组", "Coordination group", ["office.officer", "office.supervisor"]),
    ("group_strike", "打击组", "Strike group", ["police.officer", "police.supervisor", "court.officer",
                                                "enterprise_service.officer"]),
    ("group_rectification", "整治组", "Rectification group", ["civil_affairs.officer", "market.officer",
                                                               "health.officer", "land.officer",
                                                               "urban_enforcement.officer"]),
    ("group_publicity", "宣传组", "Publicity group", ["justice.officer", "bank.officer",
                                                     "community_tangshi.officer", "community_shatang.officer"]),
]


def create_campaign(session) -> dict:
    """The demo campaign with its phases, and the working groups with their members."""
    name_zh, name_en, level, first, last = CAMPAIGN
    now = clock.now()
    campaign = Campaign(name_zh=name_zh, name_en=name_en, level=level, first_day=first, last_day=last,
                        created_at=now, updated_at=now, updated_by=DEMO_ACTOR)
    campaign.phases = [CampaignPhase(kind=kind, name=name, first_day=start, last_day=end)
                       for kind, name, start, end in PHASES]
    session.add(campaign)
    users = {user.username: user for user in session.scalars(select(User))}
    groups = []
    for code, zh, en, members in WORKING_GROUPS:
        group = WorkingGroup(code=code, name_zh=zh, name_en=en, active=True,
                             members=[users[name] for name in members if name in users])
        session.add(group)
        groups.append(group)
    session.flush()
    return {"campaign": campaign.id, "groups": {group.code: group.id for group in groups}}


def lead_registration(row, subjects, received_at) -> dict:
    """A row of LEADS as the registration form sends it (register_lead's data)."""
    _received, channel, about, sector, summary, reporter, major = row
    data = {"channel": channel, "received_at": received_at, "summary": summary, "sector": sector, "major": major}
    if isinstance(about, int):
        data["subject_id"] = subjects[about].id
    elif isinstance(about, tuple):
        data["subject_name"], data["subject_credit_code"] = about[0], credit_code(about[1])
    elif about:
        data["subject_name"] = about
    if reporter == "anonymous":
        data["reporter"] = {"anonymous": True}
    elif reporter:
        data["reporter"] = {"name": reporter[0], "phone": reporter[1]}
    return data


def load_demo(session, hash_password=None, password: str = DEFAULT_PASSWORD) -> dict:
    """Create the demo's units, users and subjects in the caller's transaction (flush, no commit).
    The leads and what became of them are domain.demo_story's (it needs the engine).

    `hash_password(text) -> str` is the web layer's hasher (None leaves users
    without a password).
    """
    if session.scalar(select(Unit.id).where(Unit.code == "office")) is not None:
        raise DubanError("the demo data (or a unit 'office') is already loaded")
    unit_ids = create_units(session)
    user_ids = create_users(session, hash_password, password)
    subjects = [records.create_subject(session, {"name": name, "credit_code": credit_code(code), "address": address,
                                                 "sector": sector, "legal_representative": person}, DEMO_ACTOR)
                for name, code, address, sector, person in SUBJECTS]
    campaign = create_campaign(session)
    return {"units": unit_ids, "users": user_ids, "subjects": [subject.id for subject in subjects], **campaign}
