"""Task specs for what SpiffWorkflow leaves to its host, as Camunda 7 runs them.

- `ExternalTask`: a service (or send) task with `camunda:type="external"`. It
  starts and waits (SpiffWorkflow's STARTED state) until a worker completes it
  through the external task API; engine.external_tasks keeps a row for it.
- `CalledProcess`: a call activity. It starts and waits while the called
  process runs as an instance of its own (Camunda's semantics: the latest
  deployed version by default), which engine.calls starts and finishes.
- `PassThroughTask`: a plain `task` or `manualTask`. Camunda passes them
  through; SpiffWorkflow would leave them READY for a person forever.
- `BroadcastSignal`: a signal reaches every waiting instance (Camunda's
  semantics), its own included, so the engine delivers it rather than
  SpiffWorkflow's in-workflow catch.

Their settings live in `extensions` (serialized with the spec by SpiffWorkflow).
"""
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent


class ExternalTask(BpmnSpecMixin):
    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False

    @property
    def external(self) -> dict:
        return self.extensions["external"]

    def _run_hook(self, my_task):
        return None  # STARTED: a worker completes it


class CalledProcess(BpmnSpecMixin):
    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False

    @property
    def call(self) -> dict:
        return self.extensions["call"]

    def _run_hook(self, my_task):
        return None  # STARTED: the called instance completes it


class PassThroughTask(BpmnSpecMixin):
    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class BroadcastSignal(SignalEventDefinition):
    def throw(self, my_task):
        my_task.workflow.top_workflow.bpmn_events.append(BpmnEvent(self, payload={}))
