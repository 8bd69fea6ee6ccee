"""Call activities: the called process runs as an instance of its own (Camunda 7's semantics).

When a call activity starts (engine.bpmn.wait_specs.CalledProcess), a follow-up step of the
same command starts the called process's version chosen by `camunda:calledElementBinding`
(latest, deployment: the version deployed from the caller's file, or version) with the
variables its `camunda:in` mappings pass. The called instance remembers its caller; when it
completes, its `camunda:out` mappings return variables and the call activity completes. An
interrupted call activity cancels its called instance. A callee that is not deployed, or
calls nested deeper than MAX_CALL_DEPTH (a process calling itself), stop the call activity
with an incident, which a retry starts again once the cause is fixed.
"""
from uuid import UUID

from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.json_data import as_stored
from engine.bpmn.wait_specs import CalledProcess
from engine.errors import Problem
from engine.store.models import ProcessDefinition, ProcessInstance

MAX_CALL_DEPTH = 10
INCIDENT_KIND = "call_error"
PARENT_KEY = "#{execution.processBusinessKey}", "${execution.processBusinessKey}"


def caller_columns(called_by) -> dict:
    if called_by is None:
        return {}
    caller, task_id = called_by
    return {"super_instance_id": caller.id, "super_task_id": task_id, "call_depth": (caller.call_depth or 0) + 1}


def _call_specs(spec) -> list:
    return [ts for ts in spec.task_specs.values() if isinstance(ts, CalledProcess)]


def missing_callees(session, parsed, in_file: set[str], filename: str) -> list[Problem]:
    """Deploy-time warnings for call activities whose process is neither deployed nor in the file."""
    problems = []
    for spec in (parsed.spec, *parsed.subprocess_specs.values()):
        for task_spec in _call_specs(spec):
            callee = task_spec.call["process_id"]
            if callee in in_file or session.scalar(select(ProcessDefinition.id).where(
                    ProcessDefinition.process_id == callee).limit(1)) is not None:
                continue
            problems.append(Problem(f"calls process {callee!r}, which is not deployed; an instance that gets "
                                    f"here stops with an incident until it is", element_id=task_spec.bpmn_id,
                                    file=filename, severity="warning"))
    return problems


def _callee(session, call: dict, caller_definition: ProcessDefinition) -> ProcessDefinition | None:
    query = select(ProcessDefinition).where(ProcessDefinition.process_id == call["process_id"])
    if call["binding"] == "version":
        query = query.where(ProcessDefinition.version == call["version"])
    elif call["binding"] == "deployment":  # deployed from the same file at the same time
        query = query.where(ProcessDefinition.checksum == caller_definition.checksum)
    return session.scalars(query.order_by(ProcessDefinition.version.desc()).limit(1)).first()


def _mapped(engine, task, mappings: list[dict], source: dict) -> dict:
    """Variables for the other side of a call: `variables="all"`, source/target, sourceExpression."""
    values = {}
    for mapping in mappings:
        if mapping.get("variables") == "all":
            values.update(source)
        elif "source" in mapping:
            if mapping["source"] in source:
                values[mapping["target"]] = source[mapping["source"]]
        elif "sourceExpression" in mapping:
            values[mapping["target"]] = engine._evaluate(task, mapping["sourceExpression"])
    return as_stored(values)


def _business_key(engine, task, call: dict, caller: ProcessInstance) -> str | None:
    for mapping in call["in"]:
        text = mapping.get("businessKey")
        if text is None:
            continue
        if text.strip() in PARENT_KEY:
            return caller.business_key
        value = engine._evaluate(task, text) if text.strip().startswith(("${", "#{")) else text
        return None if value is None else str(value)
    return None


def sync(engine, ctx, instance: ProcessInstance, workflow) -> None:
    """Start what started call activities call; cancel what interrupted ones called."""
    started = {str(t.id): t for t in workflow.get_tasks(state=TaskState.STARTED) if isinstance(t.task_spec, CalledProcess)}
    children = ctx.session.scalars(select(ProcessInstance).where(ProcessInstance.super_instance_id == instance.id)).all()
    called = {child.super_task_id for child in children}
    for child in children:
        if child.super_task_id not in started and child.status in ("running", "error", "suspended"):
            ctx.later(lambda child_id=child.id: _cancel_called(engine, ctx, child_id))
    pending = getattr(workflow, "duban_calling", set())
    for task_id in started.keys() - called - pending:
        pending.add(task_id)
        ctx.later(lambda task_id=task_id: _call(engine, ctx, instance.id, task_id))
    workflow.duban_calling = pending


def _stop(engine, ctx, instance, workflow, task, message: str) -> None:
    task.error()  # a retry runs the call activity again
    engine._open_incident(ctx, instance, INCIDENT_KIND, message, element_id=task.task_spec.bpmn_id,
                          spiff_task_id=str(task.id))
    engine._save(ctx, instance, workflow)


def _call(engine, ctx, instance_id: int, task_id: str) -> None:
    instance, workflow = engine.step_workflow(ctx, instance_id)
    getattr(workflow, "duban_calling", set()).discard(task_id)
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or not task.has_state(TaskState.STARTED) or instance.status != "running":
        return
    call = task.task_spec.call
    if (instance.call_depth or 0) + 1 > MAX_CALL_DEPTH:
        _stop(engine, ctx, instance, workflow, task, f"calls nest deeper than {MAX_CALL_DEPTH} processes "
                                                     f"(does a process call itself?); {call['process_id']!r} was not started")
        return
    definition = _callee(ctx.session, call, instance.definition)
    if definition is None:
        binding = {"version": f" version {call['version']}", "deployment": " from the same deployment"}
        _stop(engine, ctx, instance, workflow, task,
              f"called process {call['process_id']!r}{binding.get(call['binding'], '')} is not deployed")
        return
    try:
        data = _mapped(engine, task, call["in"], dict(task.data))
        business_key = _business_key(engine, task, call, instance)
    except Exception as err:  # noqa: BLE001 - a mapping's expression failed: the case's incident
        _stop(engine, ctx, instance, workflow, task, f"camunda:in mapping failed: {type(err).__name__}: {err}")
        return
    child = engine._start_in(ctx, definition.process_id, data, business_key, definition.version,
                             called_by=(instance, task_id))
    ctx.audit("call.started", instance, element_id=task.task_spec.bpmn_id,
              data={"process_id": definition.process_id, "version": definition.version, "instance": child.id})


def _cancel_called(engine, ctx, child_id: int) -> None:
    child, workflow = engine.step_workflow(ctx, child_id)
    if child.status in ("completed", "cancelled"):
        return
    workflow.cancel()
    child.status, child.ended_at = "cancelled", ctx.now
    ctx.audit("instance.cancelled", child, reason="the call activity that called it was interrupted")
    engine._save(ctx, child, workflow)


def returned(engine, ctx, child: ProcessInstance, child_workflow) -> None:
    """A called instance completed: its caller's call activity completes with the out mappings."""
    if child.status != "completed" or getattr(child_workflow, "duban_returned", False):
        return
    child_workflow.duban_returned = True
    last = child_workflow.last_task
    result = dict(last.data if last is not None else child_workflow.data)

    def step():
        instance, workflow = engine.step_workflow(ctx, child.super_instance_id)
        task = workflow.get_task_from_id(UUID(child.super_task_id))
        if task is None or not task.has_state(TaskState.STARTED) or instance.status != "running":
            return
        try:
            task.data.update(_mapped(engine, task, task.task_spec.call["out"], result))
        except Exception as err:  # noqa: BLE001
            _stop(engine, ctx, instance, workflow, task, f"camunda:out mapping failed: {type(err).__name__}: {err}")
            return
        ctx.audit("call.returned", instance, element_id=task.task_spec.bpmn_id, data={"instance": child.id})
        task.complete()
        engine._advance(ctx, instance, workflow)
        engine._save(ctx, instance, workflow)

    ctx.later(step)
