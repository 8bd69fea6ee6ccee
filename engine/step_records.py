"""Writing step records (办理意见): one row per finished step, in the completing command.

The engine knows nothing of forms: the caller (the web's case file, the API) hands over
what only it knows (the form as shown, the opinion and outcome fields, the handler's name
and unit) as `details`; without them the record still keeps the values and the handler.
"""
from sqlalchemy import insert

from engine.store.models import HumanTask, StepRecord

DETAIL_KEYS = ("form_key", "form", "opinion", "outcome", "handler_name", "unit_code", "unit_name")


def write(ctx, task: HumanTask, kind: str, values: dict | None, details: dict | None = None) -> None:
    details = details or {}
    row = {key: details.get(key) for key in DETAIL_KEYS}
    row["form_key"] = row["form_key"] or task.form_key
    row.update(instance_id=task.instance_id, task_id=task.id, element_id=task.element_id, step_name=task.name,
               kind=kind, values=dict(values or {}), handler=ctx.actor.username, at=ctx.now)
    if row["opinion"] is not None:
        row["opinion"] = str(row["opinion"])[:20000]
    if row["outcome"] is not None:
        row["outcome"] = str(row["outcome"])[:200]
    ctx.session.execute(insert(StepRecord), [row])
