"""The demo's monthly returns (月报表): the two months before this one, opened by the monthly
cycle and submitted by the units (last month two units have not reported yet, so the office's
sum shows 未报单位), and this month's returns open as drafts, one already begun."""
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from domain import returns
from domain.demo import UNITS
from domain.models import MonthlyReturn
from engine.store.models import HumanTask

NOT_YET = ("bank", "community_shatang")  # last month's returns still missing (before they are due)

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


def events(story) -> list[tuple[datetime, object]]:
    """(when, what) for the story (domain.demo_story): each of the two months before this one is
    opened by the monthly cycle on the 1st (or when the story begins) and its returns submitted
    over the following days (or hours, for last month); this month's draft is begun before now."""
    begins, now = story.clock.now(), story.now
    found = []
    earlier = _months_before(now, 2)
    for month in earlier:
        following = returns.month_period(month).last + timedelta(days=1)
        opened = max(min(datetime.combine(following, time(1), returns.BEIJING).astimezone(timezone.utc),
                         now - timedelta(hours=2)), begins + timedelta(minutes=1))  # within the story
        found.append((opened, lambda m=month: story.engine.start("monthly_return_cycle", {"month": m})))
        due = returns.due_at(month)
        # Two units have not reported last month's yet, while it is not due (a late one would climb the
        # escalation ladder to a yellow card); everyone else reports in good time.
        late = month == earlier[-1] and now < due - timedelta(days=1)
        units = [code for code in REPORTING_ORDER if not (late and code in NOT_YET)]
        end = max(min(opened + timedelta(days=14), due - timedelta(days=1), now - timedelta(hours=1)), opened)
        step = (end - opened) / (len(units) + 1)
        for index, unit in enumerate(units, start=1):
            found.append((opened + step * index, lambda u=unit, m=month: _submit(story, u, m)))
    found.append((now - timedelta(minutes=30), lambda: _begin_this_month(story)))
    return found


# The reporting units in the directory's order (domain.demo UNITS).
REPORTING_ORDER = tuple(code for code, _zh, _en, kind in UNITS if kind != "office")


def _submit(story, unit: str, month: str) -> None:
    with story.sessions() as session:
        task_id = session.scalar(
            select(HumanTask.id).join(MonthlyReturn, MonthlyReturn.instance_id == HumanTask.instance_id)
            .where(HumanTask.status == "open", HumanTask.element_id == returns.TASK_ID,
                   MonthlyReturn.unit == unit, MonthlyReturn.month == month))
    if task_id is None:
        return
    values = {"manual": dict(MANUAL), "corrections": {}, **TEXTS}
    officer = f"{unit}.officer"
    story.engine.complete(task_id, story.actors[officer], {"return_values": values},
                          record=returns.step_details(story.users[officer], month))


def _begin_this_month(story) -> None:
    local = story.now.astimezone(returns.BEIJING)
    with story.sessions() as session:
        record = returns.new_return(session, "market", f"{local.year:04d}-{local.month:02d}", "market.officer")
        record.progress = "本月已完成3家养老机构的排查，正在跟踪整改。"
        session.commit()
