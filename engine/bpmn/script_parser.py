"""Script tasks as Camunda Modeler writes them, refused at deploy when their script cannot run here.

Only Python runs here (engine.bpmn.sandbox). SpiffWorkflow reads no `scriptFormat`,
so a Groovy or JavaScript body would be run as Python: refused naming the element
and the format instead. A missing `scriptFormat` is taken as Python (SpiffWorkflow's
own examples leave it out). A script kept outside the file (`camunda:resource`) is
refused too: only the BPMN file is deployed.

Script tasks also get Camunda's multi-instance attributes (`camunda:collection`,
`camunda:elementVariable`), as user tasks do; SpiffWorkflow's script task parser
reads only the BPMN standard's, whose task specs the engine cannot store.

Camunda's listeners (`camunda:executionListener`, `camunda:taskListener`), input/output
mappings (`camunda:inputOutput`) and a script task's `camunda:resultVariable` are not
read by SpiffWorkflow at all; `ignored_extensions` lists them as deploy warnings rather
than let their scripts and mappings be dropped in silence.
"""
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser, ScriptTaskParser

from engine.errors import Problem

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
PYTHON_FORMATS = frozenset({"python", "py", "python3"})  # compared in lower case
ONLY_PYTHON = 'only Python scripts run here (scriptFormat="python")'


def is_python(script_format: str | None) -> bool:
    """Whether a `scriptFormat` names Python; none at all is taken as Python."""
    return not (script_format or "").strip() or script_format.strip().lower() in PYTHON_FORMATS


class DubanScriptTaskParser(ScriptTaskParser, CamundaTaskParser):
    """SpiffWorkflow's (Camunda) script task parser, refusing scripts that cannot run here.
    (CamundaTaskParser, after it in the MRO, brings Camunda's multi-instance attributes
    and `camunda:properties`.)"""

    def create_task(self):
        script_format = self.node.get("scriptFormat")
        if not is_python(script_format):
            self.raise_validation_exception(f"script format {script_format.strip()!r} cannot run here: {ONLY_PYTHON}")
        resource = self.attribute("resource", "camunda")
        if resource is not None:
            self.raise_validation_exception(
                f"script task refers to a script stored outside the BPMN file (camunda:resource={resource!r}), "
                "which cannot run here: write the Python script into the task itself")
        return super().create_task()


# -- what SpiffWorkflow does not read ------------------------------------------------------------

def _owner(node):
    """The element whose extension `node` is (the first ancestor with an id)."""
    for ancestor in node.iterancestors():
        if ancestor.get("id"):
            return ancestor
    return None


def _what_it_does(node) -> str:
    scripts = node.findall(f".//{{{CAMUNDA_NS}}}script")
    if any(script.get("resource") for script in scripts):
        return "its script, stored outside the BPMN file,"
    if scripts:
        formats = sorted({(script.get("scriptFormat") or "").strip() or "no format" for script in scripts})
        return f"its script ({', '.join(formats)})"
    for attribute, what in (("class", "its Java class"), ("delegateExpression", "its delegate expression"),
                            ("expression", "its expression")):
        if node.get(attribute):
            return what
    return "it"


def ignored_extensions(root, filename: str) -> list[Problem]:
    """Warnings for the Camunda extensions of the document that SpiffWorkflow leaves unread."""
    found = []

    def warn(node, message, owner=None):
        owner = owner if owner is not None else _owner(node)
        found.append(Problem(message, element_id=owner.get("id") if owner is not None else None,
                             line=node.sourceline, file=filename, severity="warning"))

    for kind in ("executionListener", "taskListener"):
        for node in root.iter(f"{{{CAMUNDA_NS}}}{kind}"):
            event = node.get("event") or "any"
            warn(node, f"camunda:{kind} (event {event!r}) is ignored here: {_what_it_does(node)} never runs; "
                       "do that work in a script task")
    for node in root.iter(f"{{{CAMUNDA_NS}}}inputOutput"):
        names = [parameter.get("name") or "?" for parameter in node]
        warn(node, f"camunda:inputOutput is ignored here: its parameters ({', '.join(names)}) are not mapped and "
                   "any script in them never runs; the task sees the case's variables as they are, so set "
                   "variables in a script task")
    for node in root.iter(f"{{{BPMN_NS}}}scriptTask"):
        result = node.get(f"{{{CAMUNDA_NS}}}resultVariable")
        if result:
            warn(node, f"camunda:resultVariable {result!r} is ignored here: a Python script returns no value; "
                       f"assign it in the script ({result} = ...)", owner=node)
    return found
