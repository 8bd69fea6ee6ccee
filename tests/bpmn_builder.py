"""Build small BPMN documents for tests without hand-writing XML each time.

Elements are given in order; `flows` connects them. Good enough for the
engine tests; the campaign's real processes live in processes/.
"""
from xml.sax.saxutils import quoteattr, escape

HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
          'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
          'id="defs" targetNamespace="http://duban.example/bpmn">\n')


def _attrs(attrs: dict) -> str:
    return " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items())


def user_task(id, name=None, groups="office", assignee=None, due=None, users=None, priority=None, form_key=None):
    attrs = {"id": id, "name": name or id}
    if groups:
        attrs["camunda:candidateGroups"] = groups
    if assignee:
        attrs["camunda:assignee"] = assignee
    if users:
        attrs["camunda:candidateUsers"] = users
    if due:
        attrs["camunda:dueDate"] = due
    if priority is not None:
        attrs["camunda:priority"] = str(priority)
    if form_key:
        attrs["camunda:formKey"] = form_key
    return f"<bpmn:userTask {_attrs(attrs)}/>"


def script_task(id, script):
    return f'<bpmn:scriptTask id="{id}" scriptFormat="python"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>'


def timer_event(id, kind="timeDuration", value="PT1H"):
    return (f'<bpmn:intermediateCatchEvent id="{id}"><bpmn:timerEventDefinition id="{id}_def">'
            f'<bpmn:{kind}>{escape(value)}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


def boundary_timer(id, attached_to, value="PT1H", interrupting=True, kind="timeDuration"):
    return (f'<bpmn:boundaryEvent id="{id}" attachedToRef="{attached_to}" cancelActivity="{str(interrupting).lower()}">'
            f'<bpmn:timerEventDefinition id="{id}_def"><bpmn:{kind}>{escape(value)}</bpmn:{kind}>'
            f'</bpmn:timerEventDefinition></bpmn:boundaryEvent>')


def gateway(id, kind="exclusiveGateway", default=None):
    extra = f' default="{default}"' if default else ""
    return f'<bpmn:{kind} id="{id}"{extra}/>'


def start(id="start"):
    return f'<bpmn:startEvent id="{id}"/>'


def end(id="end", error_code=None):
    if error_code:
        return (f'<bpmn:endEvent id="{id}"><bpmn:errorEventDefinition errorRef="err_{error_code}"/></bpmn:endEvent>')
    return f'<bpmn:endEvent id="{id}"/>'


def flow(source, target, condition=None, id=None):
    id = id or f"f_{source}_{target}"
    if condition is None:
        return f'<bpmn:sequenceFlow id="{id}" sourceRef="{source}" targetRef="{target}"/>'
    return (f'<bpmn:sequenceFlow id="{id}" sourceRef="{source}" targetRef="{target}">'
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{escape(condition)}</bpmn:conditionExpression>'
            f'</bpmn:sequenceFlow>')


def subprocess(id, *body):
    return f'<bpmn:subProcess id="{id}">' + "".join(body) + "</bpmn:subProcess>"


def process(process_id, *elements, name=None, errors=()):
    error_decls = "".join(f'<bpmn:error id="err_{c}" name="{c}" errorCode="{c}"/>' for c in errors)
    body = "\n".join(elements)
    xml = (HEADER + error_decls + f'<bpmn:process id="{process_id}" name={quoteattr(name or process_id)} '
           f'isExecutable="true">\n{body}\n</bpmn:process>\n</bpmn:definitions>\n')
    return xml.encode("utf-8")


def chain(*ids):
    """Flows connecting ids one after another."""
    return [flow(a, b) for a, b in zip(ids, ids[1:])]


def sequential(process_id="seq", n=3, groups="office", due=None):
    tasks = [user_task(f"t{i}", f"Step {i}", groups=groups, due=due) for i in range(1, n + 1)]
    ids = ["start"] + [f"t{i}" for i in range(1, n + 1)] + ["end"]
    return process(process_id, start(), *tasks, end(), *chain(*ids))


def as_modeler_writes(element):
    """`element` with its timers typed as Camunda Modeler types them (xsi:type="bpmn:tFormalExpression")."""
    for kind in ("timeDuration", "timeDate", "timeCycle"):
        element = element.replace(f"<bpmn:{kind}>", f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression" '
                                                    f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">')
    return element


def timer_start(id="start", value="R/P1D", kind="timeCycle"):
    """A start event with a timer, as Camunda Modeler writes it."""
    return as_modeler_writes(f'<bpmn:startEvent id="{id}"><bpmn:timerEventDefinition id="{id}_def">'
                             f'<bpmn:{kind}>{escape(value)}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:startEvent>')
