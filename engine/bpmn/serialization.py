"""Spec stored once per version; instance state stored without the spec, its tasks one row each.

SpiffWorkflow's serializer embeds the whole spec (~10 KB) in every workflow.
We register a workflow converter that leaves it out, and restore instances
against a spec object cached per definition version.

It also writes every task of the workflow at every save, so a case's steps
grow dearer as its history grows. Instances are saved split instead
(`dump_split`): the workflow's own fields as one JSON document, and each task
as a row body of its own, written only when the step changed it
(engine.bpmn.stored_tasks). `load_split` puts them back together.
"""
import json
from collections import defaultdict
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import cron_timer, multiinstance, stored_tasks
from engine.bpmn.wait_specs import BroadcastSignal, CalledProcess, ExternalTask, PassThroughTask
from engine.dmn.task import DecisionTask
from engine.bpmn.workflow_class import DubanWorkflow

STATE_FORMAT = "duban-1"  # the whole workflow in one document
SPLIT_FORMAT = "duban-2"  # the workflow without its tasks; the tasks are rows


class InstanceStateConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None, script_engine=None):
        workflow = DubanWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


# While load_split restores a workflow: {task UUID: keys of its data that hold nested values}.
_nested_keys: ContextVar[dict | None] = ContextVar("duban_nested_keys", default=None)


@lru_cache(maxsize=65536)
def _uuid(text: str) -> UUID:
    # Each task id appears as a task, a parent and a child; UUID objects are immutable.
    return UUID(text)


class StoredTaskConverter(TaskConverter):
    """SpiffWorkflow's task restore, cheaper for a case with a long history.

    Every task's data is its parent's plus a stored difference; SpiffWorkflow
    copies the parent's data value by value (containers one level deep) for
    each task. A finished task's data never changes again, so it takes a
    plain copy of its parent's (its nested values shared). Unfinished tasks,
    whose data the next step may change, are restored as SpiffWorkflow does.
    It also notes which keys hold nested values, for engine.bpmn.stored_tasks.
    """

    def from_dict(self, dct, workflow):
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=_uuid(dct["id"]))
        task._parent = _uuid(dct["parent"]) if dct["parent"] is not None else None
        task._children = [_uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.registry.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        known = _nested_keys.get()
        delta, parent = dct.get("delta"), task.parent
        if delta and parent is not None:
            finished = task._state & stored_tasks.SETTLED
            data = dict(parent.data) if finished else DeepMerge.merge({}, parent.data)
            updates = self.registry.restore(delta.get("updates", {}))
            data.update(updates)
            for key in delta.get("deletions", ()):
                data.pop(key, None)
            if known is not None:
                keys = known.get(parent.id, frozenset()) - set(delta.get("deletions", ())) - updates.keys()
                known[task.id] = keys | {key for key, value in updates.items() if stored_tasks.is_nested(value)}
        else:
            data = self.registry.restore(dct["data"])
            if known is not None:
                known[task.id] = frozenset(key for key, value in data.items() if stored_tasks.is_nested(value))
        task.data = data
        return task


_config = dict(CAMUNDA_CONFIG)
_config[BpmnWorkflow] = InstanceStateConverter
_config[Task] = StoredTaskConverter
_config.update(cron_timer.CONVERTERS)
# What engine.bpmn.wait_specs adds; messages are SpiffWorkflow's plain ones (variables as the payload).
_config[MessageEventDefinition] = DEFAULT_CONFIG[MessageEventDefinition]
_config[BroadcastSignal] = DEFAULT_CONFIG[SignalEventDefinition]
for _spec_class in (ExternalTask, CalledProcess, PassThroughTask, DecisionTask):
    _config[_spec_class] = BpmnTaskSpecConverter
# After SpiffWorkflow's: multi-instance tasks restore as engine.bpmn.multiinstance's (old versions too).
_config.update(multiinstance.SERIALIZER_CONFIG)
_registry = BpmnWorkflowSerializer.configure(_config)
_serializer = BpmnWorkflowSerializer(_registry)
# Instances run as DubanWorkflow (faster task lookups); stored as what they are to SpiffWorkflow.
_registry.typenames[DubanWorkflow] = _registry.typenames[BpmnWorkflow]


def _dumps(obj_to_dict) -> str:
    _registry._encoder_mode = True
    try:
        return json.dumps(obj_to_dict(), cls=_serializer._encoder_cls, ensure_ascii=False,
                          separators=(",", ":"))
    finally:
        _registry._encoder_mode = False


def dump_spec(spec, subprocess_specs: dict) -> str:
    return _dumps(lambda: {
        "spec": _registry.convert(spec),
        "subprocess_specs": {name: _registry.convert(s) for name, s in subprocess_specs.items()},
    })


def load_spec(text: str):
    dct = json.loads(text)
    spec = _registry.restore(dct["spec"])
    subprocess_specs = {name: _registry.restore(s) for name, s in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


def dump_state(workflow) -> str:
    return _dumps(lambda: {**_registry.convert(workflow), "format": STATE_FORMAT})


def load_state(text: str, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
    dct = json.loads(text)
    dct.pop("format", None)
    return _registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs, script_engine=script_engine)


@dataclass
class SplitState:
    state: str  # the workflow's own fields (SPLIT_FORMAT)
    rows: list[dict]  # tasks to insert or overwrite: task_id, owner, seq, body
    removed: list[str]  # task ids whose rows go


def _workflow_fields(wf) -> dict:
    """What SpiffWorkflow's workflow converter writes, but the tasks."""
    return {
        "data": _registry.convert(_registry.clean(wf.data)),
        "correlations": wf.correlations,
        "last_task": str(wf.last_task.id) if wf.last_task is not None else None,
        "success": wf.success,
        "completed": wf.completed,
        "root": str(wf.task_tree.id),
        "typename": _registry.typenames[type(wf)],
    }


def _split_document(workflow) -> dict:
    subprocesses = {str(task_id): {**_workflow_fields(sp), "parent_task_id": str(sp.parent_task_id),
                                   "spec": sp.spec.name}
                    for task_id, sp in workflow.subprocesses.items()}
    return {**_workflow_fields(workflow), "subprocesses": subprocesses,
            "bpmn_events": _registry.convert(workflow.bpmn_events), "format": SPLIT_FORMAT}


def _encode(value) -> str:
    return json.dumps(value, cls=_serializer._encoder_cls, ensure_ascii=False, separators=(",", ":"))


def dump_split(workflow) -> SplitState:
    """The workflow's fields and the tasks changed since its last save or load."""
    written, removed = stored_tasks.tasks_to_write(workflow)
    _registry._encoder_mode = True
    try:
        rows = [{"task_id": str(task.id), "owner": owner, "seq": seq, "body": _encode(_registry.convert(task))}
                for owner, task, seq in written]
        state = _encode(_split_document(workflow))
    finally:
        _registry._encoder_mode = False
    stored_tasks.remember(workflow, written, removed)
    return SplitState(state, rows, [str(task_id) for task_id in removed])


def joined_document(state: str, rows) -> dict:
    """One document of the whole workflow from its split state and its task rows
    ((task_id, owner, body) in creation order)."""
    dct = json.loads(state)
    dct.pop("format", None)
    if "tasks" in dct:  # stored whole (STATE_FORMAT)
        return dct
    rows = list(rows)
    bodies = json.loads("[" + ",".join(body for _task_id, _owner, body in rows) + "]")  # one parse for all
    tasks = defaultdict(dict)
    for (task_id, owner, _body), body in zip(rows, bodies):
        tasks[owner][task_id] = body
    dct["tasks"] = tasks.pop("", {})
    for owner, subprocess in dct["subprocesses"].items():
        subprocess["tasks"] = tasks.pop(owner, {})
    return dct


def load_split(state: str, rows, spec, subprocess_specs, script_engine) -> DubanWorkflow:
    """The workflow from its split state and task rows ((task_id, owner, seq, body) by seq)."""
    rows = list(rows)
    nested_keys = {}
    token = _nested_keys.set(nested_keys)  # StoredTaskConverter notes them as it restores
    try:
        workflow = _registry.restore(
            joined_document(state, [(task_id, owner, body) for task_id, owner, _seq, body in rows]),
            spec=spec, subprocess_specs=subprocess_specs, script_engine=script_engine)
    finally:
        _nested_keys.reset(token)
    # What the rows hold now. A document stored whole has no rows yet: its first save writes every task.
    seqs = {task_id: seq for task_id, _owner, seq, _body in rows}
    loaded = [(owner, task, seqs[str(task_id)]) for owner, wf in stored_tasks.all_workflows(workflow)
              for task_id, task in wf.tasks.items()] if rows else []
    stored_tasks.remember(workflow, loaded, [], nested_keys=nested_keys)
    setattr(workflow, stored_tasks.NEXT_SEQ, max(seqs.values(), default=-1) + 1)
    return workflow
