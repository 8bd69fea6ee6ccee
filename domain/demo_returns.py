"""The demo's monthly returns (月报表): the two months before this one, opened by the monthly
cycle and submitted by the units (last month two units have not reported yet, so the office's
sum shows 未报单位), and this month's returns open as drafts, one already begun."""
from datetime import datetime

from sqlalchemy import select

from domain import returns
from domain.models import MonthlyReturn
from engine.store.models import HumanTask

NOT_YET = ("bank", "community_shatang")  # last month's returns still missing

TEXTS = {
    "progress": "本月按照专项行动工作方案，完成分流线索的核实查办，对辖区涉老机构开展拉网式排查，"
                "风险隐患已全部录入风险台账。",
    "measures": "一是落实线索分流交办和限期反馈；二是对有风险隐患的机构开展警示约谈、责令整改；"
                "三是会同社区入户走访，向老年人宣传防范养老诈骗知识。",
    "difficulties": "部分机构经营场所变动频繁，排查难度较大。",
    "next_steps": "持续跟踪整改落实情况，开展“回头看”，确保问题整改到位。",
}
MANUAL = {"other.meetings": 2, "other.joint_checks": 1, "other.other_work": 3}


def _months_before(now: datetime, count: int) -> list[str]:
    today = now.astimezone(returns.BEIJING).date()
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append(f"{year:04d}-{month:02d}")
    return list(reversed(months))


def play(engine, now: datetime) -> None:
    earlier = _months_before(now, 2)
    for month in earlier:
        engine.start("monthly_return_cycle", {"month": month})
    last = earlier[-1]
    with engine.session_factory() as session:
        tasks = session.execute(
            select(HumanTask.id, MonthlyReturn.unit, MonthlyReturn.month)
            .join(MonthlyReturn, MonthlyReturn.instance_id == HumanTask.instance_id)
            .where(HumanTask.status == "open", HumanTask.element_id == returns.TASK_ID)
            .order_by(MonthlyReturn.month, MonthlyReturn.id)).all()
        actors = _actors(session)
    for task_id, unit, month in tasks:
        if month == last and unit in NOT_YET:
            continue
        values = {"manual": dict(MANUAL), "corrections": {}, **TEXTS}
        engine.complete(task_id, actors[f"{unit}.officer"], {"return_values": values})
    # This month: a draft begun by the market station; the cycle gives each unit its task next month.
    this_month = f"{now.astimezone(returns.BEIJING).year:04d}-{now.astimezone(returns.BEIJING).month:02d}"
    with engine.session_factory() as session:
        record = returns.new_return(session, "market", this_month, "market.officer")
        record.progress = "本月已完成3家养老机构的排查，正在跟踪整改。"
        session.commit()


def _actors(session) -> dict:
    from domain.models import User
    return {user.username: user.to_actor() for user in session.scalars(select(User))}
