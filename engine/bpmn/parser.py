"""SpiffWorkflow's Camunda parser, extended with what Camunda Modeler writes.

User tasks: camunda:assignee, candidateUsers, candidateGroups (the lane is the
fallback group), dueDate, priority, formKey and formData are collected into the
task spec's `extensions["human"]`, which SpiffWorkflow serializes with the spec.

Timers: Camunda Modeler writes plain ISO 8601 (`P3D`, `PT2H`,
`2026-12-01T09:00:00+08:00`, `R3/P1D`) where SpiffWorkflow expects a Python
expression; plain ISO text is turned into a string literal here, while
`${...}` and Python expressions are kept and evaluated in the sandbox, wrapped in
engine.deadlines' `duration_due(...)` (durations) or `date_due(...)` (dates), which
check their value's bounds. A timeCycle that is not ISO text (Camunda's cron,
`0 0 9 ? * MON-FRI`, or an expression) is engine.bpmn.cron_timer's.
"""
import re

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    EndEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ReceiveTask,
    ScriptTask,
    SendTask,
    StartEvent,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaEventDefinitionParser,
    CamundaIntermediateCatchEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser, UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.bpmn import cron_timer, juel
from engine.bpmn.script_parser import DubanScriptTaskParser
from engine.bpmn.task_parsers import (
    CallActivityParser,
    DubanBusinessRuleTaskParser,
    DubanReceiveTaskParser,
    DubanSendTaskParser,
    NamedEventsParser,
    ServiceTaskParser,
)
from engine.bpmn.wait_specs import CalledProcess, ExternalTask, PassThroughTask
from engine.dmn.task import DecisionTask
from engine.errors import ScriptRejected

_ISO_DURATION = r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
_WORKING_DURATION = r"P(?=\d)(\d+WD)(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
_ISO_DATETIME = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
_ISO_CYCLE = rf"R\d*/(({_ISO_DATETIME})/)?({_ISO_DURATION})(/({_ISO_DATETIME}))?"
_ISO_LITERAL = re.compile(rf"^({_ISO_DURATION}|{_WORKING_DURATION}|{_ISO_DATETIME}|{_ISO_CYCLE})$", re.IGNORECASE)

# How a timer's expression is wrapped below; deploy checks and incident messages show it as written.
TIMER_WRAPPING = re.compile(r"\b(?:duration_due|date_due)\(\((.*?)\)\)", re.DOTALL)


def as_written(text: str) -> str:
    """`text` with each timer wrapping taken off: the expression as the modeler wrote it."""
    return TIMER_WRAPPING.sub(r"\1", text)


def is_iso_literal(text: str) -> bool:
    return bool(text) and _ISO_LITERAL.match(text.strip()) is not None


def timer_expression(text: str | None) -> str | None:
    """The expression SpiffWorkflow should evaluate for a timer's text."""
    if text is None:
        return None
    text = text.strip()
    return repr(text) if is_iso_literal(text) else text


def _python(text: str) -> str:
    """An expression as Python, in parentheses so it can be a function's argument."""
    return f"({juel.to_python(text) if juel.is_juel(text) else text})"


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class DubanUserTaskParser(UserTaskParser):
    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        groups = _split(self.attribute("candidateGroups", "camunda"))
        if not groups and self.lane:
            groups = [self.lane]
        priority = self.attribute("priority", "camunda")
        extensions["human"] = {
            "assignee": self.attribute("assignee", "camunda"),
            "candidate_users": _split(self.attribute("candidateUsers", "camunda")),
            "candidate_groups": groups,
            "due_date": self.attribute("dueDate", "camunda"),
            "priority": priority,
            "form_key": self.attribute("formKey", "camunda"),
        }
        return extensions


class DubanEventDefinitionParser(NamedEventsParser, CamundaEventDefinitionParser):
    def parse_timer_event(self, event):
        try:
            return self._timer_event(event)
        except ScriptRejected as err:  # a ${...} that is not the supported subset, named with its element
            self.raise_validation_exception(f"timer expression rejected: {err}")

    def _timer_event(self, event):
        definition = super().parse_timer_event(event)
        text = (definition.expression or "").strip()
        if isinstance(definition, DurationTimerEventDefinition) and not (
                is_iso_literal(text) and not re.match(rf"^{_WORKING_DURATION}$", text, re.I)):
            # SpiffWorkflow knows no working days: a working-day literal, or any expression
            # (whose value may be `P20WD`), fires at a date computed when the timer starts.
            argument = repr(text) if is_iso_literal(text) else _python(text)
            return TimeDateEventDefinition(definition.name, f"duration_due({argument})",
                                           description=definition.description)
        if isinstance(definition, TimeDateEventDefinition) and text and not is_iso_literal(text):
            # An expression's value is checked and made ISO text where the error can name the timer
            # (SpiffWorkflow would parse it outside the script engine, with no element to blame).
            definition.expression = f"date_due({_python(text)})"
            return definition
        if isinstance(definition, CycleTimerEventDefinition) and text:
            # Camunda's cron, ISO cycles (`R3/PT1H`), or an expression whose value may be either: fired as
            # Camunda fires them (engine.bpmn.cron_timer).
            return cron_timer.cycle_definition(definition, text)
        definition.expression = timer_expression(definition.expression)
        return definition


class DubanStartEventParser(DubanEventDefinitionParser, CamundaStartEventParser):
    pass


class DubanEndEventParser(DubanEventDefinitionParser, CamundaEndEventParser):
    pass


class DubanIntermediateCatchEventParser(DubanEventDefinitionParser, CamundaIntermediateCatchEventParser):
    pass


class DubanIntermediateThrowEventParser(DubanEventDefinitionParser, CamundaIntermediateThrowEventParser):
    pass


class DubanBoundaryEventParser(DubanEventDefinitionParser, CamundaBoundaryEventParser):
    pass


class DubanParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (DubanUserTaskParser, UserTask),
        full_tag("scriptTask"): (DubanScriptTaskParser, ScriptTask),
        full_tag("startEvent"): (DubanStartEventParser, StartEvent),
        full_tag("endEvent"): (DubanEndEventParser, EndEvent),
        full_tag("intermediateCatchEvent"): (DubanIntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (DubanIntermediateThrowEventParser, IntermediateThrowEvent),
        full_tag("boundaryEvent"): (DubanBoundaryEventParser, BoundaryEvent),
        full_tag("serviceTask"): (ServiceTaskParser, ExternalTask),
        full_tag("sendTask"): (DubanSendTaskParser, SendTask),
        full_tag("receiveTask"): (DubanReceiveTaskParser, ReceiveTask),
        full_tag("businessRuleTask"): (DubanBusinessRuleTaskParser, DecisionTask),
        full_tag("callActivity"): (CallActivityParser, CalledProcess),
        full_tag("task"): (CamundaTaskParser, PassThroughTask),
        full_tag("manualTask"): (CamundaTaskParser, PassThroughTask),
    }
