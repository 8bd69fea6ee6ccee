"""The demo's inspections (机构排查): member units inspecting the institutions of their sectors
since the campaign began, mostly with nothing found ("经排查……均暂未发现非法集资"), a few with
risks, one of which has had graded disposal started (its assessment waits in civil affairs' inbox).

domain.demo_story plays them among the leads' events, at their own times, through the real
domain functions (record_inspection, start_disposal).
"""
from domain.demo import credit_code
from domain.inspections import record_inspection, start_disposal
from engine.workcal import CHINA_TZ

# New institutions the inspections register: name, 17 characters of the credit code, sector.
NEW = {
    "jingloyuan": ("晋江市新塘敬老院", "52350582MJ0F12C3A", "illegal_fundraising"),
    "juja": ("晋江市塘市居家养老服务站", "52350582MJ0G23D4B", "elderly_projects"),
    "yikang": ("晋江市沙塘颐康护理院", "52350582MJ0H34E5C", "unlicensed_medical"),
    "kangshou": ("晋江市新塘康寿保健品商行", "92350582MA2J45F6D", "food_health_products"),
    "yile": ("晋江市新塘颐乐养老院", "52350582MJ0K56G7E", "illegal_fundraising"),
    "fumantang": ("晋江市福满堂养老服务有限公司", "91350582MA8L67H8F", "illegal_fundraising"),
    "anxin": ("晋江市安心养老服务中心", "52350582MJ0M78J9G", "illegal_fundraising"),
    "xingfu": ("晋江市沙塘幸福颐养园", "52350582MJ0N89K0H", "care_land"),
}


# (working days ago, unit, also the unit's supervisor, institution (index of domain.demo.SUBJECTS or a
# key of NEW), problems {point: note}, finding, note, working days ago disposal was started or None)
INSPECTIONS = [
    (28, "civil_affairs", True, 0, {"bed_booking": "以“预订床位”名义收取费用，每人1万元至5万元",
                                    "membership_cards": "办理“养老会员卡”收取预付费，未专户存管"},
     "risk_found", "现场查阅收费台账，预收费用未专户存管，已要求说明资金去向。", None),
    (27, "civil_affairs", False, "jingloyuan", {}, "no_problem", "收费项目均已公示，未发现预收大额费用。", None),
    (26, "civil_affairs", False, "juja", {}, "no_problem", "以公益服务项目为主，资金流向安全。", None),
    (25, "civil_affairs", True, 8, {}, "no_problem", "暂未发现以会员卡名义吸收资金。", None),
    (22, "health", True, 3, {"medical_licence": "内设医务室未取得《医疗机构执业许可证》",
                             "qualified_staff": "为老人输液人员无执业资格"},
     "risk_found", "", None),
    (20, "health", False, "yikang", {}, "no_problem", "医务室证照齐全，医护人员均具执业资格。", None),
    (18, "market", True, 2, {"false_claims": "宣称保健品可“降糖降压”", "approval_numbers": "部分产品无批准文号"},
     "risk_found", "已责令下架无批准文号产品。", None),
    (16, "market", False, "kangshou", {}, "no_problem", "", None),
    (14, "market", False, 1, {}, "no_problem", "暂未发现组织“低价游”。", None),
    (12, "civil_affairs", False, "yile", {}, "no_problem", "", None),
    (10, "enterprise_service", True, "fumantang", {}, "no_problem", "均暂未发现非法集资。", None),
    (6, "land", False, "xingfu", {}, "no_problem", "养老服务设施用地按规划用途使用。", None),
    (3, "civil_affairs", True, "anxin", {"bed_booking": "以销售“养老床位”名义向老人收取床位预订费",
                                         "promised_returns": "承诺“到期退还并付息”"},
     "risk_found", "涉及老人约40人，收取费用约80万元，资金去向待查。", 2),
    (1, "health", False, "yikang", {}, "no_problem", "回头看：医护人员资质复核无误。", None),
]


def inspection_events(story) -> list[tuple]:
    """(when, what) of each inspection being recorded, and of the disposal started for one."""
    found = []
    for row in INSPECTIONS:
        ago, _unit, _supervisor, _about, _problems, _finding, _note, disposal_ago = row
        found.append((story.moment(ago, "17:00"), lambda r=row: record(story, r)))
        if disposal_ago is not None:
            found.append((story.moment(disposal_ago, "10:00"), lambda r=row: start(story, r)))
    return found


def _data(story, row) -> dict:
    ago, unit, supervisor, about, problems, finding, note, _disposal = row
    day = story.moment(ago, "17:00").astimezone(CHINA_TZ).date()
    data = {"inspected_on": day.isoformat(), "unit": unit, "finding": finding, "note": note,
            "officers": [f"{unit}.officer"] + ([f"{unit}.supervisor"] if supervisor else []),
            "answers": {point: {"problem": True, "note": text} for point, text in problems.items()}}
    if isinstance(about, int):
        data["subject_id"] = story.subjects[about].id
    else:
        name, code, sector = NEW[about]
        data.update(subject_name=name, subject_credit_code=credit_code(code), sector=sector)
    return data


def record(story, row) -> None:
    unit = row[1]
    with story.sessions() as session:
        inspection = record_inspection(session, _data(story, row), story.actors[f"{unit}.officer"], "zh",
                                       allowed_units={unit})
        session.commit()
        story.inspections[row[0], unit] = inspection.id


def start(story, row) -> None:
    unit = row[1]
    start_disposal(story.engine, story.actors[f"{unit}.officer"], story.inspections[row[0], unit])
