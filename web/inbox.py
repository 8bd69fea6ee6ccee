"""待办 / 已办 / 抄送: the officer's day, from the flat task table."""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from domain.labels import CHANNEL, GRADE, SECTOR
from domain.models import Lead, Subject
from engine import clock
from engine.store.models import HumanTask, ProcessDefinition, ProcessInstance, TaskCopy
from web.access import local_target
from web.commands import run_command
from web.extensions import db
from web.params import page_arg
from web.queries import todo_count, todo_query

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
PAGE_SIZE = 20
SORTS = {
    "due": (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id),
    "created": (HumanTask.created_at.desc(), HumanTask.id.desc()),
    "priority": (HumanTask.priority.desc(), HumanTask.due_at.is_(None), HumanTask.due_at),
}


def _filtered(query, args):
    """Apply the inbox's filters; lead attributes come through the instance's business key."""
    now = clock.now()
    needs_lead = any(args.get(k) for k in ("channel", "sector", "grade", "q"))
    if needs_lead:
        query = (query.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                 .outerjoin(Lead, Lead.number == ProcessInstance.business_key))
    if args.get("process"):
        query = query.where(HumanTask.process_id == args["process"])
    if args.get("channel"):
        query = query.where(Lead.channel == args["channel"])
    if args.get("sector"):
        query = query.where(Lead.sector == args["sector"])
    if args.get("grade"):
        query = query.where(Lead.subject_id.in_(select(Subject.id).where(Subject.grade == args["grade"])))
    if args.get("q"):
        term = f"%{args['q'].strip()}%"
        query = query.where(or_(ProcessInstance.business_key.ilike(term), Lead.subject_name.ilike(term),
                                HumanTask.name.ilike(term)))
    due = args.get("due")
    if due == "overdue":
        query = query.where(HumanTask.due_at <= now)
    elif due == "soon":
        query = query.where(HumanTask.due_at > now, HumanTask.due_at <= now + timedelta(days=2))
    elif due == "week":
        query = query.where(HumanTask.due_at <= now + timedelta(days=7))
    if args.get("mine") == "1":
        query = query.where(HumanTask.assignee == current_user.username)
    elif args.get("mine") == "0":
        query = query.where(HumanTask.assignee.is_(None))
    return query


def _page(query, order, total=None):
    page = page_arg()
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return rows, {"page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total}


def case_info(tasks) -> dict[int, dict]:
    """Lead number, subject, channel, sector per instance of the listed tasks (one query)."""
    instance_ids = {t.instance_id for t in tasks}
    if not instance_ids:
        return {}
    rows = db.session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key, ProcessDefinition.name, Lead.id,
               Lead.subject_name, Lead.channel, Lead.sector)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(Lead, Lead.number == ProcessInstance.business_key)
        .where(ProcessInstance.id.in_(instance_ids))).all()
    return {r[0]: {"number": r[1], "process_name": r[2], "lead_id": r[3], "subject": r[4], "channel": r[5],
                   "sector": r[6]} for r in rows}


@bp.get("/")
@login_required
def index():
    args = request.args
    sort = args.get("sort") if args.get("sort") in SORTS else "due"
    filtered = any(args.get(k) for k in ("q", "mine", "process", "channel", "sector", "grade", "due"))
    total = None if filtered else todo_count(db.session, current_user)
    tasks, paging = _page(_filtered(todo_query(current_user), args), SORTS[sort], total)
    processes = db.session.execute(select(ProcessDefinition.process_id, func.max(ProcessDefinition.name))
                                   .group_by(ProcessDefinition.process_id)).all()
    return render_template("inbox/index.html", tasks=tasks, paging=paging, cases=case_info(tasks), sort=sort,
                           processes=processes, channels=CHANNEL, sectors=SECTOR, grades=GRADE, args=args)


@bp.get("/done")
@login_required
def done():
    query = select(HumanTask).where(HumanTask.completed_by == current_user.username)
    tasks, paging = _page(query, (HumanTask.completed_at.desc(), HumanTask.id.desc()))
    return render_template("inbox/done.html", tasks=tasks, paging=paging, cases=case_info(tasks))


@bp.get("/cc")
@login_required
def copied():
    copies = db.session.scalars(select(TaskCopy).where(TaskCopy.recipient == current_user.username)
                                .order_by(TaskCopy.id.desc()).limit(200)).all()
    return render_template("inbox/cc.html", copies=copies, cases=case_info([c.task for c in copies]))


def _task_or_404(task_id):
    task = db.session.get(HumanTask, task_id)
    if task is None or not current_user.can_see_task(task):
        abort(404)
    return task


@bp.post("/<int:task_id>/claim")
@login_required
def claim(task_id):
    _task_or_404(task_id)
    if run_command(lambda engine: engine.claim(task_id, current_user.actor)):
        flash(_("Task claimed."), "success")
    return redirect(local_target(request.form.get("next"), url_for("inbox.index")))


@bp.post("/<int:task_id>/unclaim")
@login_required
def unclaim(task_id):
    _task_or_404(task_id)
    if run_command(lambda engine: engine.unclaim(task_id, current_user.actor)):
        flash(_("Task returned to the unit's queue."), "info")
    return redirect(local_target(request.form.get("next"), url_for("inbox.index")))
