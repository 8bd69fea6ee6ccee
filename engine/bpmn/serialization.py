"""Spec stored once per version; instance state stored without the spec.

SpiffWorkflow's serializer embeds the whole spec (~10 KB) in every workflow.
We register a workflow converter that leaves it out, and restore instances
against a spec object cached per definition version.
"""
import json
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

STATE_FORMAT = "duban-1"


class InstanceStateConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None, script_engine=None):
        workflow = self.target_class(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(CAMUNDA_CONFIG)
_config[BpmnWorkflow] = InstanceStateConverter
_registry = BpmnWorkflowSerializer.configure(_config)
_serializer = BpmnWorkflowSerializer(_registry)


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
