"""Business rule tasks: evaluate a deployed decision and map its result as Camunda 7 does.

`camunda:decisionRef` names the decision (a `${...}` expression is evaluated first);
`camunda:decisionRefBinding` is `latest` (default), `deployment` (the one deployed with this process
version) or `version` (`camunda:decisionRefVersion`); `camunda:resultVariable` receives the result
mapped by `camunda:mapDecisionResult`: `resultList` (default: a list of dicts), `singleResult` (one
dict or null), `singleEntry` (one value or null), `collectEntries` (a list of values). The decision is
looked up at run time through the script engine's `decisions` (set per command by engine.runtime), so
the engine, not the spec, knows the database. A failure is the task's error: an incident naming the
decision and its inputs.
"""
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin

from engine.errors import DubanError

RESULT_MAPPINGS = ("resultList", "singleResult", "singleEntry", "collectEntries")


class DecisionTask(BpmnSpecMixin):
    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False

    @property
    def decision(self) -> dict:
        return self.extensions["decision"]

    def _run_hook(self, my_task):
        evaluate = getattr(my_task.workflow.script_engine, "decisions", None)
        if evaluate is None:
            raise WorkflowTaskException("business rule tasks run only inside the engine's commands", task=my_task)
        settings = self.decision
        try:
            outcome = evaluate(my_task, settings)
            value = map_result(settings.get("map") or "resultList", outcome.results)
        except DubanError as err:
            raise WorkflowTaskException(str(err), task=my_task, exception=err) from err
        if settings.get("result_variable"):
            my_task.data[settings["result_variable"]] = value
        return True


def map_result(mapping: str, results: list):
    """A decision's results (one dict per matched rule) as `camunda:mapDecisionResult` says."""
    if mapping == "resultList":
        return [dict(result) for result in results]
    if mapping == "collectEntries":
        for result in results:
            _one_entry(result, mapping)
        return [next(iter(result.values())) for result in results]
    if len(results) > 1:
        raise DubanError("{mapping} needs at most one result, but the decision gave {count}",
                         mapping=mapping, count=len(results))
    if not results:
        return None
    if mapping == "singleResult":
        return dict(results[0])
    _one_entry(results[0], mapping)
    return next(iter(results[0].values()))


def _one_entry(result: dict, mapping: str) -> None:
    if len(result) != 1:
        raise DubanError("{mapping} needs results with one output, but a result has {count} ({names})",
                         mapping=mapping, count=len(result), names=", ".join(result))
