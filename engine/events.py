"""Messages and signals between instances and from other systems (Camunda 7's semantics).

Whatever waits for a message or a signal has a row (engine.store.wait_models.EventSubscription):
a waiting task of an instance (message catch events, receive tasks, boundary events, the
events after an event-based gateway), or the start event of the latest deployed version.
Correlating is then an index lookup:

- a message goes to the one instance waiting for it (narrowed by business key, process
  variables or instance id), else starts the one process whose start event waits for it;
  none, or more than one without `all`, is refused (`correlate`);
- a signal goes to everything waiting for it, its sender included, and starts every process
  whose start event waits for it (`broadcast`).

Send tasks and message throw events deliver to Duban's own instances; signal throw events
broadcast. Either is a follow-up step of the command that threw it (engine.runtime).
"""
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import delete, select
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.json_data import as_stored
from engine.errors import InvalidOperation
from engine.identity import SYSTEM, Actor
from engine.store.models import ProcessDefinition, ProcessInstance
from engine.store.wait_models import EventSubscription

MESSAGE, SIGNAL = "message", "signal"


class MessageNotCorrelated(InvalidOperation):
    """No instance waits for the message and no process starts with it."""


class AmbiguousCorrelation(InvalidOperation):
    """The message matches several instances and `all` was not asked for."""


def _kind(definition) -> str | None:
    if isinstance(definition, MessageEventDefinition):
        return MESSAGE
    if isinstance(definition, SignalEventDefinition):
        return SIGNAL
    return None


def waits_for(task_spec) -> list[tuple[str, str]]:
    """(kind, name) of each message and signal a catching task spec waits for (an event-based
    gateway waits for those of the events after it)."""
    if not isinstance(task_spec, CatchingEvent):
        return []
    definition = getattr(task_spec, "event_definition", None)
    definitions = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    return [(_kind(d), d.name) for d in definitions if _kind(d) is not None]


def is_catching(task_spec) -> bool:
    return bool(waits_for(task_spec))


def is_deliverable(event) -> bool:
    return _kind(event.event_definition) is not None


# -- rows ---------------------------------------------------------------------------------------

def subscribe_start_events(session, definition: ProcessDefinition, spec) -> None:
    """The new version's message and signal start events replace the older versions' (Camunda too)."""
    session.execute(delete(EventSubscription).where(
        EventSubscription.process_id == definition.process_id, EventSubscription.instance_id.is_(None)))
    for task_spec in spec.task_specs.values():
        kind = _kind(getattr(task_spec, "event_definition", None))
        if kind and isinstance(task_spec, StartEvent):
            session.add(EventSubscription(kind=kind, name=task_spec.event_definition.name,
                                          definition_id=definition.id, process_id=definition.process_id,
                                          element_id=task_spec.bpmn_id, created_at=definition.deployed_at))


def _waiting(workflow) -> dict:
    return {str(task.id): task for task in workflow.get_tasks(state=TaskState.WAITING)
            if is_catching(task.task_spec)}


def sync(session, instance: ProcessInstance, workflow, now) -> None:
    """One row per waiting message or signal catch of the instance."""
    waiting = _waiting(workflow) if instance.status in ("running", "error", "suspended") else {}
    rows = session.scalars(select(EventSubscription).where(EventSubscription.instance_id == instance.id)).all()
    known = set()
    for row in rows:
        if row.spiff_task_id in waiting:
            known.add(row.spiff_task_id)
        else:
            session.delete(row)
    for task_id, task in waiting.items():
        if task_id not in known:
            for kind, name in waits_for(task.task_spec):
                session.add(EventSubscription(
                    kind=kind, name=name, instance_id=instance.id, spiff_task_id=task_id,
                    process_id=instance.process_id, element_id=task.task_spec.bpmn_id,
                    business_key=instance.business_key, created_at=now))


# -- correlation --------------------------------------------------------------------------------

@dataclass
class Correlated:
    """Where a message went: an instance that waited for it, or one it started."""
    instance_id: int
    started: bool
    definition_id: int


def _matches(workflow, task, expected: dict) -> bool:
    data = task.data if task is not None else workflow.data
    return all(name in data and data[name] == value for name, value in expected.items())


def _candidates(engine, ctx, kind, name, business_key=None, instance_id=None, variables_match=None) -> list:
    query = (select(EventSubscription).join(ProcessInstance, ProcessInstance.id == EventSubscription.instance_id)
             .where(EventSubscription.kind == kind, EventSubscription.name == name,
                    ProcessInstance.status == "running").order_by(EventSubscription.id))
    if business_key is not None:
        query = query.where(ProcessInstance.business_key == business_key)
    if instance_id is not None:
        query = query.where(EventSubscription.instance_id == instance_id)
    found = []
    for row in ctx.session.scalars(query).all():
        if variables_match:
            _instance, workflow = engine.step_workflow(ctx, row.instance_id)
            if not _matches(workflow, workflow.get_task_from_id(UUID(row.spiff_task_id)), variables_match):
                continue
        found.append(row)
    return found


def _start_subscriptions(ctx, kind, name) -> list:
    return ctx.session.scalars(select(EventSubscription).where(
        EventSubscription.kind == kind, EventSubscription.name == name, EventSubscription.instance_id.is_(None))
        .order_by(EventSubscription.id)).all()


def _event(kind, name, variables) -> BpmnEvent:
    definition = MessageEventDefinition(name) if kind == MESSAGE else SignalEventDefinition(name)
    return BpmnEvent(definition, payload=as_stored(variables or {}))


def _deliver(engine, ctx, row: EventSubscription, kind: str, name: str, variables: dict | None) -> bool:
    """Deliver to one waiting task; False when it no longer waits (taken by an earlier delivery)."""
    instance, workflow = engine.step_workflow(ctx, row.instance_id)
    task = workflow.get_task_from_id(UUID(row.spiff_task_id))
    if task is None or not task.has_state(TaskState.WAITING) or instance.status != "running":
        return False
    event = _event(kind, name, variables)
    task.task_spec.catch(task, event)
    task.task_spec._update(task)
    ctx.audit("message.received" if kind == MESSAGE else "signal.received", instance, element_id=row.element_id,
              data={"name": name})
    engine._advance(ctx, instance, workflow)
    engine._save(ctx, instance, workflow)
    return True


def _start_with(engine, ctx, row: EventSubscription, kind, name, variables, business_key) -> ProcessInstance:
    """Start the version whose start event waits for the event, and hand the event to it."""
    definition = ctx.session.get(ProcessDefinition, row.definition_id)
    instance = engine._start_in(ctx, definition.process_id, {}, business_key, definition.version,
                                start_event=(row.element_id, _event(kind, name, variables)))
    ctx.audit("message.received" if kind == MESSAGE else "signal.received", instance, element_id=row.element_id,
              data={"name": name, "started": True})
    return instance


def correlate(engine, name: str, actor: Actor = SYSTEM, business_key: str | None = None,
              correlation_keys: dict | None = None, process_instance_id: int | None = None,
              variables: dict | None = None, all: bool = False) -> list[Correlated]:
    """Deliver a message (Camunda's `POST /message`); returns where it went."""
    if not (name or "").strip():
        raise InvalidOperation("messageName is required")

    def command():
        with engine._command(actor) as ctx:
            return correlate_in(engine, ctx, name, business_key, correlation_keys, process_instance_id,
                                variables, all)
    return engine.retrying(command, f"message {name}")


def correlate_in(engine, ctx, name, business_key=None, correlation_keys=None, process_instance_id=None,
                 variables=None, all=False) -> list[Correlated]:
    rows = _candidates(engine, ctx, MESSAGE, name, business_key, process_instance_id, correlation_keys)
    if len(rows) > 1 and not all:
        raise AmbiguousCorrelation("message {name} matches {count} waiting instances; narrow it down (business "
                                   "key, correlation keys, instance) or correlate to all", name=name, count=len(rows))
    results = []
    for row in rows:
        if _deliver(engine, ctx, row, MESSAGE, name, variables):
            results.append(Correlated(row.instance_id, False, ctx.session.get(ProcessInstance,
                                                                               row.instance_id).definition_id))
    if results or correlation_keys or process_instance_id is not None:
        if not results:
            raise MessageNotCorrelated("no instance waits for message {name} with these values", name=name)
        return results
    starts = _start_subscriptions(ctx, MESSAGE, name)
    if not starts:
        raise MessageNotCorrelated("no instance waits for message {name} and no process starts with it", name=name)
    if len(starts) > 1 and not all:
        raise AmbiguousCorrelation("message {name} starts {count} processes; correlate to all to start each",
                                   name=name, count=len(starts))
    for row in starts:
        instance = _start_with(engine, ctx, row, MESSAGE, name, variables, business_key)
        results.append(Correlated(instance.id, True, instance.definition_id))
    return results


def broadcast(engine, name: str, actor: Actor = SYSTEM, variables: dict | None = None) -> int:
    """Deliver a signal to everything waiting for it (Camunda's `POST /signal`); returns how many."""
    if not (name or "").strip():
        raise InvalidOperation("signal name is required")

    def command():
        with engine._command(actor) as ctx:
            return broadcast_in(engine, ctx, name, variables)
    return engine.retrying(command, f"signal {name}")


def broadcast_in(engine, ctx, name: str, variables: dict | None = None, business_key: str | None = None) -> int:
    delivered = sum(_deliver(engine, ctx, row, SIGNAL, name, variables)
                    for row in _candidates(engine, ctx, SIGNAL, name))
    for row in _start_subscriptions(ctx, SIGNAL, name):
        _start_with(engine, ctx, row, SIGNAL, name, variables, None)
        delivered += 1
    return delivered


def deliver_thrown(engine, ctx, instance: ProcessInstance, event) -> None:
    """A message or signal thrown by `instance`, delivered as a follow-up step.

    A message goes to instances with the sender's business key if any waits for it, else to the
    one instance waiting for it; one nobody waits for is recorded and dropped (BPMN's semantics)."""
    kind, name = _kind(event.event_definition), event.event_definition.name
    payload = event.payload if isinstance(event.payload, dict) else {}

    def step():
        if kind == SIGNAL:
            broadcast_in(engine, ctx, name)
            return
        rows = _candidates(engine, ctx, MESSAGE, name, instance.business_key) if instance.business_key else []
        rows = rows or _candidates(engine, ctx, MESSAGE, name)
        rows = [row for row in rows if row.instance_id != instance.id]
        if rows:
            _deliver(engine, ctx, rows[0], MESSAGE, name, payload)
            return
        starts = _start_subscriptions(ctx, MESSAGE, name)
        if starts:
            _start_with(engine, ctx, starts[0], MESSAGE, name, payload, instance.business_key)
            return
        ctx.audit("message.unmatched", instance, data={"name": name})

    ctx.later(step)


def catch_at_start(workflow, element_id: str, event) -> None:
    """Hand the event to the start event waiting for it in a new instance (None: its timer fired)."""
    if event is None:
        from engine.start_timers import fire_start_event
        fire_start_event(workflow, element_id)
        return
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if task.task_spec.bpmn_id == element_id:
            task.task_spec.catch(task, event)
            task.task_spec._update(task)
            return
