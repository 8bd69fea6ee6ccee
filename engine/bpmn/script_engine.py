"""SpiffWorkflow script engine that runs everything through the sandbox."""
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.bpmn import isolation, juel, sandbox


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
