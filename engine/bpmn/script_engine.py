"""SpiffWorkflow script engine that runs everything through the sandbox."""
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.bpmn import isolation, juel, sandbox
from engine.errors import ScriptLimitExceeded


MAX_INSTANCES = 1000  # a multi-instance or loop task with more instances than this is refused


def to_python_expression(expression: str) -> str:
    """Python expressions pass through; Camunda `${...}` is translated."""
    return juel.to_python(expression) if juel.is_juel(expression) else expression


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates with RestrictedPython, scripts in isolated workers (engine.bpmn.isolation);
    `functions` are the service calls scripts may use."""

    def __init__(self, functions: dict | None = None):
        super().__init__()
        self.functions = {**juel.FUNCTIONS, **(functions or {})}

    def evaluate(self, expression, context, external_context=None):
        functions = {**self.functions, **(external_context or {})}
        return isolation.evaluate(to_python_expression(expression), context, functions)

    def execute(self, script, context, external_context=None):
        functions = {**self.functions, **(external_context or {})}
        isolation.execute(script, context, functions)
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are not supported; use a script task calling a service function")


class DubanScriptEngine(PythonScriptEngine):
    def __init__(self, functions: dict | None = None):
        super().__init__(environment=SandboxEnvironment(functions))

    def validate(self, expression):
        sandbox.compile_expression(to_python_expression(expression))

    def execute(self, task, script, external_context=None):
        with sandbox.printing_as(_who(task, "script")):
            return super().execute(task, script, external_context)

    def evaluate(self, task, expression, external_context=None):
        with sandbox.printing_as(_who(task, "expression")):
            value = super().evaluate(task, expression, external_context)
        if expression is not None and expression == getattr(task.task_spec, "cardinality", None):
            try:
                _check_cardinality(value)
            except ScriptLimitExceeded as err:
                raise WorkflowTaskException(str(err), task=task, exception=err) from err
        return value


def _who(task, what: str) -> str:
    """The element a script or expression belongs to, for the log line of what it prints."""
    spec = task.task_spec
    return f"{what} of {getattr(spec, 'bpmn_id', None) or spec.name} in process {task.workflow.spec.name}"


def _check_cardinality(value) -> None:
    """A multi-instance count read from the case's data gets the deploy-time bound too: a count of
    millions would create that many tasks inside one command."""
    if not isinstance(value, int) or not 0 <= value <= MAX_INSTANCES:
        raise ScriptLimitExceeded(f"a multi-instance count must be a whole number from 0 to {MAX_INSTANCES},"
                                  f" not {str(value)[:40]}")
