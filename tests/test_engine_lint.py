"""Validate before deploy: every rule of engine.lint with one failing BPMN each, all problems at once,
and the uploads that must never be parsed (XXE, entity bombs, oversized files)."""
from pathlib import Path

import pytest

from domain.labels import ROLE, UNIT
from engine.lint import MESSAGES, blocking, errors, lint, process_id_of, warnings
from tests import bpmn_builder as b

KNOWN = set(UNIT) | set(ROLE)
FORMS = {"lead/verify", "lead/review"}
PROCESSES = Path(__file__).parent.parent / "processes"


def good_task(id="t", **overrides):
    attrs = {"name": f"Task {id}", "groups": "office", "due": "P5WD", "form_key": "lead/verify"}
    attrs.update(overrides)
    return b.user_task(id, **attrs)


def simple(*middle, flows=None, ids=None):
    ids = ids or [piece.split('id="')[1].split('"')[0] for piece in middle]
    return b.process("p", b.start(), *middle, b.end(), *(flows or b.chain("start", *ids, "end")))


def problems_of(xml, **kwargs):
    return lint(xml, "p.bpmn", kwargs.get("known_groups", KNOWN), kwargs.get("known_forms", FORMS))


def only(problems, severity=None):
    return [(p.element_id, p.message) for p in problems if severity is None or p.severity == severity]


def test_a_clean_process_has_no_problems():
    assert problems_of(simple(good_task())) == []


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.stem)
def test_the_campaign_processes_pass_every_rule(path):
    forms = {str(p.relative_to(PROCESSES / "forms").with_suffix("")) for p in (PROCESSES / "forms").rglob("*.json")}
    assert lint(path.read_bytes(), path.name, KNOWN, forms) == []


# -- user tasks ------------------------------------------------------------------

def test_user_task_without_candidates_or_assignee_is_an_error():
    problems = problems_of(simple(good_task(groups=None)))
    assert only(problems) == [("t", MESSAGES["user-task-candidates"])]
    assert problems[0].severity == "error" and problems[0].line == 5 and problems[0].file == "p.bpmn"
    # An assignee alone, or candidate users alone, is enough.
    assert problems_of(simple(good_task(groups=None, assignee="market.officer"))) == []
    assert problems_of(simple(good_task(groups=None, users="a.b,c.d"))) == []


def test_user_task_without_due_date_is_an_error():
    assert only(problems_of(simple(good_task(due=None))), "error") == [("t", MESSAGES["user-task-due"])]


def test_unknown_candidate_group_is_an_error_but_expressions_are_allowed():
    problems = problems_of(simple(good_task(groups="office,markte,police")))
    assert only(problems) == [("t", "candidate group 'markte' is not a known unit code or role")]
    assert problems_of(simple(good_task(groups="${responsible_unit}, supervisor"))) == []
    # Without a list of known groups the rule is skipped.
    assert lint(simple(good_task(groups="anything")), "p.bpmn", None) == []


def test_a_lane_used_as_candidate_group_must_be_known():
    xml = simple(good_task(groups=None)).replace(
        b'<bpmn:startEvent',
        b'<bpmn:laneSet id="ls"><bpmn:lane id="lane1" name="Somebody"><bpmn:flowNodeRef>t</bpmn:flowNodeRef>'
        b'</bpmn:lane></bpmn:laneSet><bpmn:startEvent')
    assert only(problems_of(xml)) == [
        ("t", "lane 'Somebody' is used as the candidate group but is not a known unit code or role")]
    assert problems_of(xml.replace(b'name="Somebody"', b'name="market"')) == []


def test_user_task_without_form_key_or_name_is_a_warning():
    problems = problems_of(simple(b.user_task("t", groups="office", due="P1D")).replace(b' name="t"', b""))
    assert only(problems, "warning") == [("t", MESSAGES["user-task-form"]), ("t", MESSAGES["user-task-name"])]
    assert errors(problems) == []


def test_form_key_of_a_form_that_does_not_exist_is_a_warning():
    problems = problems_of(simple(good_task(form_key="lead/nothing")))
    assert only(problems, "warning") == [
        ("t", "form 'lead/nothing' does not exist (processes/forms/lead/nothing.json)")]


# -- gateways ---------------------------------------------------------------------

def test_event_based_gateway_with_two_timers_is_an_error():
    xml = b.process("p", b.start(), b.gateway("wait", kind="eventBasedGateway"),
                    b.timer_event("t1", value="P1D"), b.timer_event("t2", value="P2D"), b.end("e1"), b.end("e2"),
                    *b.chain("start", "wait"), b.flow("wait", "t1"), b.flow("wait", "t2"),
                    b.flow("t1", "e1"), b.flow("t2", "e2"))
    problems = problems_of(xml)
    assert ("wait", MESSAGES["event-gateway-timers"].format(count=2, timers="t1, t2")) in only(problems, "error")


def test_exclusive_gateway_without_default_flow_is_a_warning():
    xml = b.process("p", b.start(), b.gateway("gw"), good_task("a"), good_task("c"), b.end("e1"), b.end("e2"),
                    b.flow("start", "gw"), b.flow("gw", "a", condition="x == 1"), b.flow("gw", "c", condition="x == 2"),
                    b.flow("a", "e1"), b.flow("c", "e2"))
    assert only(problems_of(xml)) == [("gw", MESSAGES["gateway-default"])]
    assert problems_of(xml.replace(b'<bpmn:exclusiveGateway id="gw"/>',
                                   b'<bpmn:exclusiveGateway id="gw" default="f_gw_c"/>')) == []


def test_a_flow_out_of_an_exclusive_split_without_condition_that_is_not_the_default_is_refused_by_the_parser():
    xml = b.process("p", b.start(), b.gateway("gw", default="f_gw_c"), good_task("a"), good_task("c"), b.end("e1"),
                    b.end("e2"), b.flow("start", "gw"), b.flow("gw", "a"), b.flow("gw", "c"),
                    b.flow("a", "e1"), b.flow("c", "e2"))
    [problem] = problems_of(xml)
    assert problem.element_id == "f_gw_a" and "without condition" in problem.message and problem.severity == "error"


# -- the graph --------------------------------------------------------------------

def test_an_element_not_reachable_from_a_start_event_is_an_error():
    xml = b.process("p", b.start(), good_task("a"), good_task("orphan"), b.end(),
                    *b.chain("start", "a", "end"), b.flow("orphan", "end"))
    assert only(problems_of(xml)) == [("orphan", MESSAGES["unreachable"])]


def test_a_boundary_event_is_reachable_when_its_host_is():
    xml = b.process("p", b.start(), good_task("a"), b.boundary_timer("late", "a", "P1D"), good_task("chase"),
                    b.end(), b.end("e2"), *b.chain("start", "a", "end"), *b.chain("late", "chase", "e2"))
    assert problems_of(xml) == []
    unhosted = b.process("p", b.start(), good_task("a"), good_task("lonely"), b.boundary_timer("late", "lonely", "P1D"),
                         good_task("chase"), b.end(), b.end("e2"), *b.chain("start", "a", "end"),
                         *b.chain("lonely", "end"), *b.chain("late", "chase", "e2"))
    assert sorted(only(problems_of(unhosted))) == [
        (i, MESSAGES["unreachable"]) for i in ("chase", "e2", "late", "lonely")]


def test_every_path_must_reach_an_end_event():
    dead_end = b.process("p", b.start(), good_task("a"), good_task("stuck"), b.gateway("gw", default="f_gw_end"),
                         b.end(), b.flow("start", "a"), b.flow("a", "gw"), b.flow("gw", "end", id="f_gw_end"),
                         b.flow("gw", "stuck", condition="x == 1"))
    assert only(problems_of(dead_end)) == [("stuck", MESSAGES["no-path-to-end"])]
    loop = b.process("p", b.start(), good_task("a"), good_task("b"), b.end(),
                     b.flow("start", "a"), b.flow("a", "b"), b.flow("b", "a"), b.flow("start", "end"))
    assert sorted(only(problems_of(loop))) == [("a", MESSAGES["no-path-to-end"]), ("b", MESSAGES["no-path-to-end"])]


def test_subprocess_contents_are_checked_in_their_own_scope():
    inner = b.subprocess("sub", b.start("s_start"), good_task("s_a"), good_task("s_orphan"), b.end("s_end"),
                         *b.chain("s_start", "s_a", "s_end"), b.flow("s_orphan", "s_end"))
    xml = b.process("p", b.start(), inner, b.end(), *b.chain("start", "sub", "end"))
    assert only(problems_of(xml)) == [("s_orphan", MESSAGES["unreachable"])]
    inner = b.subprocess("sub", good_task("s_a"), b.end("s_end"), *b.chain("s_a", "s_end"))
    no_start = b.process("p", b.start(), inner, b.end(), *b.chain("start", "sub", "end"))
    assert ("sub", "subprocess has no start event") in only(problems_of(no_start), "error")


# -- the loader's checks, through lint -----------------------------------------------

def test_scripts_and_expressions_are_checked_by_the_sandbox():
    xml = simple(good_task(), b.script_task("evil", "import os"), ids=["t", "evil"])
    [problem] = problems_of(xml)
    assert problem.element_id == "evil" and "sandbox" in problem.message and problem.severity == "error"


def test_every_schema_error_is_reported_not_only_the_first():
    xml = simple(good_task()).replace(b'<bpmn:startEvent id="start"/>',
                                      b'<bpmn:startEvent id="start" bogus="1"/><bpmn:nonsense id="n1"/>'
                                      b'<bpmn:nonsense id="n2"/>')
    problems = problems_of(xml)
    assert len(problems) >= 2 and all("schema" in p.message and p.line for p in problems)


def test_xml_that_is_not_well_formed_names_the_line():
    [problem] = problems_of(b'<?xml version="1.0"?>\n<bpmn:definitions>\n<oops>')
    assert "not well-formed" in problem.message and problem.line


def test_no_executable_process_is_an_error():
    xml = simple(good_task()).replace(b'isExecutable="true"', b'isExecutable="false"')
    assert [p.message for p in problems_of(xml)] == ['no executable process (isExecutable="true") in file']


def test_all_problems_are_collected_errors_first():
    xml = b.process("p", b.start(), b.user_task("t1", groups=None), b.user_task("t2", groups="nobody"),
                    good_task("orphan"), b.end(), *b.chain("start", "t1", "t2", "end"), b.flow("orphan", "end"))
    problems = problems_of(xml)
    assert only(problems, "error") == [
        ("t1", MESSAGES["user-task-candidates"]), ("t1", MESSAGES["user-task-due"]),
        ("t2", "candidate group 'nobody' is not a known unit code or role"), ("t2", MESSAGES["user-task-due"]),
        ("orphan", MESSAGES["unreachable"])]
    assert [p.severity for p in problems] == ["error"] * 5 + ["warning"] * 2
    assert blocking(problems, accept_warnings=True) == errors(problems)
    assert blocking(problems) == problems and len(warnings(problems)) == 2


# -- hostile uploads ------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="p" name="&xxe;" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>
</bpmn:definitions>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="p" name="&lol9;" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize("xml", [XXE, LAUGHS], ids=["xxe", "billion_laughs"])
def test_documents_with_a_doctype_are_refused_without_expanding_anything(xml):
    [problem] = problems_of(xml)
    assert "DOCTYPE" in problem.message and problem.severity == "error"
    assert "root:" not in problem.message and "lollol" not in problem.message
    assert process_id_of(xml) is None


def test_an_oversized_upload_is_refused_before_parsing():
    xml = simple(good_task()).replace(b"</bpmn:definitions>",
                                      b"<!--" + b"x" * (2 * 1024 * 1024) + b"--></bpmn:definitions>")
    [problem] = problems_of(xml)
    assert "limit is 2097152 bytes" in problem.message


def test_process_id_of_names_the_executable_process():
    assert process_id_of(simple(good_task())) == "p"
    assert process_id_of(b"not xml") is None


# -- what the engine refuses: every element at once, in lint's words ----------------------------

from engine.bpmn.loader import load_definitions  # noqa: E402
from engine.errors import BpmnValidationError  # noqa: E402
from engine.lint import INFO, REFUSALS, deployed_events, notes  # noqa: E402

CORPUS = Path(__file__).parent / "bpmn_corpus"
ROOTS = ('<bpmn:message id="m_receipt" name="receipt"/><bpmn:message id="m_nameless"/>'
         '<bpmn:signal id="s_go" name="go"/><bpmn:signal id="s_nameless"/>')


def with_roots(xml: bytes, roots: str = ROOTS) -> bytes:
    return xml.replace(b"<bpmn:process ", roots.encode() + b"<bpmn:process ", 1)


def one(element: str, roots: str = ROOTS) -> bytes:
    """start -> element (id "x") -> end, with the messages and signals of ROOTS."""
    return with_roots(simple(element, ids=["x"]), roots)


def _catch(definition: str, kind="intermediateCatchEvent") -> str:
    return f'<bpmn:{kind} id="x">{definition}</bpmn:{kind}>'


def rule_task(attributes: str = "", ref: str = "risk_grading", result: str | None = "grade", id="x") -> str:
    """A business rule task evaluating decision `ref` into variable `result` (None: no result variable)."""
    result_attribute = f' camunda:resultVariable="{result}"' if result else ""
    return f'<bpmn:businessRuleTask id="{id}" camunda:decisionRef="{ref}"{result_attribute} {attributes}/>'


REFUSED = {
    "java class": ('<bpmn:serviceTask id="x" camunda:class="cn.gov.Push"/>', "java-implementation",
                   {"attribute": "class"}),
    "expression": ('<bpmn:serviceTask id="x" camunda:expression="${push.run()}"/>', "java-implementation",
                   {"attribute": "expression"}),
    "delegate expression": ('<bpmn:serviceTask id="x" camunda:delegateExpression="${push}"/>',
                            "java-implementation", {"attribute": "delegateExpression"}),
    "connector": ('<bpmn:serviceTask id="x"><bpmn:extensionElements><camunda:connector>'
                  '<camunda:connectorId>http-connector</camunda:connectorId></camunda:connector>'
                  '</bpmn:extensionElements></bpmn:serviceTask>', "connector", {}),
    "no implementation": ('<bpmn:serviceTask id="x"/>', "no-implementation", {}),
    "other type": ('<bpmn:serviceTask id="x" camunda:type="soap"/>', "unknown-type", {"type": "soap"}),
    "external without topic": ('<bpmn:serviceTask id="x" camunda:type="external"/>', "external-topic", {}),
    "external with a blank topic": ('<bpmn:serviceTask id="x" camunda:type="external" camunda:topic=" "/>',
                                    "external-topic", {}),
    "send task without message": ('<bpmn:sendTask id="x"/>', "send-no-message", {}),
    "send task in Java": ('<bpmn:sendTask id="x" camunda:class="cn.gov.Send" messageRef="m_receipt"/>',
                          "java-implementation", {"attribute": "class"}),
    "external send task without topic": ('<bpmn:sendTask id="x" camunda:type="external"/>', "external-topic", {}),
    "send task's nameless message": ('<bpmn:sendTask id="x" messageRef="m_nameless"/>', "message-name",
                                     {"ref": "m_nameless"}),
    "business rule task without decision": ('<bpmn:businessRuleTask id="x"/>', "decision-missing", {}),
    "decision by version tag": (rule_task('camunda:decisionRefBinding="versionTag" '
                                          'camunda:decisionRefVersionTag="v1"'), "decision-binding",
                                {"binding": "versionTag"}),
    "decision of version abc": (rule_task('camunda:decisionRefBinding="version" camunda:decisionRefVersion="abc"'),
                                "decision-version", {"version": "abc"}),
    "decision of no version": (rule_task('camunda:decisionRefBinding="version"'), "decision-version",
                               {"version": ""}),
    "decision result as a map": (rule_task('camunda:mapDecisionResult="resultMap"'), "decision-mapping",
                                 {"mapping": "resultMap"}),
    "decision named by a call": (rule_task(ref="${open('grade.dmn')}"), "decision-expression",
                                 {"expression": "${open('grade.dmn')}",
                                  "reason": "method and function calls are not supported in ${...} expressions: "
                                            "open(...)"}),
    "groovy": ('<bpmn:scriptTask id="x" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
               "script-format", {"format": "groovy"}),
    "javascript": ('<bpmn:scriptTask id="x" scriptFormat="JavaScript"><bpmn:script>1</bpmn:script>'
                   '</bpmn:scriptTask>', "script-format", {"format": "JavaScript"}),
    "script resource": ('<bpmn:scriptTask id="x" scriptFormat="python" camunda:resource="push.py"/>',
                        "script-resource", {"resource": "push.py"}),
    "call without process": ('<bpmn:callActivity id="x"/>', "call-no-process", {}),
    "call of a CMMN case": ('<bpmn:callActivity id="x" calledElement="p2" camunda:caseRef="case"/>', "call-case",
                            {}),
    "call by version tag": ('<bpmn:callActivity id="x" calledElement="p2" camunda:calledElementBinding="versionTag" '
                            'camunda:calledElementVersionTag="v1"/>', "call-binding", {"binding": "versionTag"}),
    "call of version abc": ('<bpmn:callActivity id="x" calledElement="p2" camunda:calledElementBinding="version" '
                            'camunda:calledElementVersion="abc"/>', "call-version", {"version": "abc"}),
    "call mapping without target": ('<bpmn:callActivity id="x" calledElement="p2"><bpmn:extensionElements>'
                                    '<camunda:in source="lead"/></bpmn:extensionElements></bpmn:callActivity>',
                                    "call-mapping", {"tag": "in"}),
    "message catch without message": (_catch("<bpmn:messageEventDefinition/>"), "message-ref", {}),
    "message catch of an undefined message": (_catch('<bpmn:messageEventDefinition messageRef="m_gone"/>'),
                                              "message-unknown", {"ref": "m_gone"}),
    "message catch of a nameless message": (_catch('<bpmn:messageEventDefinition messageRef="m_nameless"/>'),
                                            "message-name", {"ref": "m_nameless"}),
    "receive task of a nameless message": ('<bpmn:receiveTask id="x" messageRef="m_nameless"/>', "message-name",
                                           {"ref": "m_nameless"}),
    "message throw without message": (_catch("<bpmn:messageEventDefinition/>", "intermediateThrowEvent"),
                                      "message-ref", {}),
    "signal without signal or name": (_catch("<bpmn:signalEventDefinition/>"), "signal-ref", {}),
    "nameless signal": (_catch('<bpmn:signalEventDefinition signalRef="s_nameless"/>'), "signal-name",
                        {"ref": "s_nameless"}),
}


@pytest.mark.parametrize("element, rule, values", REFUSED.values(), ids=REFUSED.keys())
def test_what_the_engine_refuses_is_an_error_on_its_element_in_lints_words(element, rule, values):
    xml = one(element)
    problems = problems_of(xml)
    assert only(problems) == [("x", MESSAGES[rule].format(**values))]  # the loader's own message is left out
    assert problems[0].severity == "error" and problems[0].line and rule in REFUSALS
    # ... and the loader refuses that element: lint says no more and no less than the engine.
    with pytest.raises(BpmnValidationError) as refused:
        load_definitions(xml, "p.bpmn")
    assert [p.element_id for p in refused.value.problems] == ["x"]


def test_what_the_loader_accepts_in_these_shapes_passes():
    for element in ['<bpmn:serviceTask id="x" camunda:type="external" camunda:topic="lead-push" '
                    'camunda:taskPriority="10"/>',
                    '<bpmn:sendTask id="x" messageRef="m_receipt"/>',
                    '<bpmn:sendTask id="x" camunda:type="external" camunda:topic="notify"/>',
                    '<bpmn:businessRuleTask id="x" camunda:type="external" camunda:topic="grade"/>',
                    rule_task(),
                    rule_task('camunda:decisionRefBinding="version" camunda:decisionRefVersion=" 2 " '
                              'camunda:mapDecisionResult="singleEntry"'),
                    rule_task('camunda:mapDecisionResult="collectEntries"', ref="${grading_table}"),
                    '<bpmn:scriptTask id="x" scriptFormat="Python"><bpmn:script>y = 1</bpmn:script></bpmn:scriptTask>',
                    '<bpmn:scriptTask id="x"><bpmn:script>y = 1</bpmn:script></bpmn:scriptTask>',
                    '<bpmn:receiveTask id="x" messageRef="m_receipt"/>',
                    _catch('<bpmn:signalEventDefinition signalRef="s_go"/>'),
                    '<bpmn:intermediateCatchEvent id="x" name="go"><bpmn:signalEventDefinition/>'
                    '</bpmn:intermediateCatchEvent>',  # SpiffWorkflow takes the event's name as the signal's
                    '<bpmn:callActivity id="x" calledElement="p2" camunda:calledElementBinding="version" '
                    'camunda:calledElementVersion="3"><bpmn:extensionElements><camunda:in variables="all"/>'
                    '<camunda:in businessKey="#{execution.processBusinessKey}"/><camunda:out source="a" target="b"/>'
                    '<camunda:in sourceExpression="${lead}" target="lead"/></bpmn:extensionElements>'
                    '</bpmn:callActivity>']:
        xml = one(element)
        assert problems_of(xml) == [], element
        load_definitions(xml, "p.bpmn")


def test_a_receive_task_without_message_is_an_error_in_lint_and_at_deploy():
    xml = one('<bpmn:receiveTask id="x"/>')
    assert only(problems_of(xml)) == [("x", MESSAGES["message-ref"])]
    with pytest.raises(BpmnValidationError, match="receive task has no message"):
        load_definitions(xml, "p.bpmn")  # SpiffWorkflow alone would pass straight through it


CORPUS_REFUSALS = {
    "refused_business_rule_no_decision": MESSAGES["decision-missing"],
    "refused_connector": MESSAGES["connector"],
    "refused_delegate_expression": MESSAGES["java-implementation"].format(attribute="delegateExpression"),
    "refused_expression": MESSAGES["java-implementation"].format(attribute="expression"),
    "refused_groovy_script": MESSAGES["script-format"].format(format="groovy"),
    "refused_java_class": MESSAGES["java-implementation"].format(attribute="class"),
    "refused_no_implementation": MESSAGES["no-implementation"],
}


@pytest.mark.parametrize("path", sorted(CORPUS.glob("refused_*.bpmn")), ids=lambda p: p.stem)
def test_each_refused_camunda_modeler_file_names_its_element(path):
    xml = path.read_bytes()
    with pytest.raises(BpmnValidationError) as refused:
        load_definitions(xml, path.name)
    [element_id] = [p.element_id for p in refused.value.problems]
    assert only(errors(lint(xml, path.name))) == [(element_id, CORPUS_REFUSALS[path.stem])]


def test_every_refused_element_is_flagged_at_once_where_the_loader_stops_at_the_first():
    xml = b.process("p", b.start(), '<bpmn:serviceTask id="java" camunda:class="cn.gov.Push"/>',
                    '<bpmn:scriptTask id="groovy" scriptFormat="groovy"><bpmn:script>1</bpmn:script></bpmn:scriptTask>',
                    '<bpmn:callActivity id="cmmn" camunda:caseRef="case"/>', good_task("t"), b.end(),
                    *b.chain("start", "java", "groovy", "cmmn", "t", "end"))
    with pytest.raises(BpmnValidationError) as refused:
        load_definitions(xml, "p.bpmn")
    assert len(refused.value.problems) == 1
    assert sorted(only(problems_of(xml))) == sorted([
        ("java", MESSAGES["java-implementation"].format(attribute="class")),
        ("groovy", MESSAGES["script-format"].format(format="groovy")),
        ("cmmn", MESSAGES["call-no-process"]), ("cmmn", MESSAGES["call-case"])])


def test_what_is_ignored_is_a_warning():
    throw = one(_catch('<bpmn:messageEventDefinition messageRef="m_receipt" camunda:type="external" '
                       'camunda:topic="t"/>', "intermediateThrowEvent"))
    assert only(problems_of(throw)) == [("x", MESSAGES["throw-implementation"].format(attribute="type"))]
    mapping = one('<bpmn:callActivity id="x" calledElement="p2" camunda:variableMappingClass="cn.gov.Map"/>')
    assert only(problems_of(mapping), "warning") == [
        ("x", MESSAGES["call-variable-mapping"].format(attribute="variableMappingClass"))]
    errors_ = one('<bpmn:serviceTask id="x" camunda:type="external" camunda:topic="t"><bpmn:extensionElements>'
                  '<camunda:errorEventDefinition id="e1" expression="${failed}"/></bpmn:extensionElements>'
                  '</bpmn:serviceTask>')
    assert only(problems_of(errors_)) == [("x", MESSAGES["external-error-events"])]
    assert errors(problems_of(throw) + problems_of(mapping) + problems_of(errors_)) == []


# -- what could never complete, across processes ------------------------------------------------

def call(callee, binding=None, version=None, id="x"):
    attrs = f' camunda:calledElementBinding="{binding}"' if binding else ""
    attrs += f' camunda:calledElementVersion="{version}"' if version else ""
    return f'<bpmn:callActivity id="{id}" calledElement="{callee}"{attrs}/>'


SHORTEST = ('<bpmn:startEvent id="s2"/><bpmn:endEvent id="e2"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="s2" targetRef="e2"/>')


def second_process(xml: bytes, process_id="p2", body=SHORTEST, executable="true") -> bytes:
    return xml.replace(b"</bpmn:definitions>", f'<bpmn:process id="{process_id}" isExecutable="{executable}">'
                                               f'{body}</bpmn:process></bpmn:definitions>'.encode())


def test_a_called_process_must_be_in_the_file_or_deployed():
    xml = one(call("verify_onsite"))
    assert problems_of(xml) == []  # without known_processes the rule is skipped
    assert only(lint(xml, "p.bpmn", KNOWN, FORMS, known_processes={"lead_handling"})) == [
        ("x", MESSAGES["call-not-deployed"].format(process="verify_onsite"))]
    assert lint(xml, "p.bpmn", KNOWN, FORMS, known_processes={"verify_onsite": {1}}) == []
    # In the file (and executable): deployed with it.
    in_file = second_process(one(call("p2")))
    assert lint(in_file, "p.bpmn", KNOWN, FORMS, known_processes=set()) == []
    not_executable = second_process(one(call("p2")), executable="false")
    assert only(lint(not_executable, "p.bpmn", KNOWN, FORMS, known_processes=set())) == [
        ("x", MESSAGES["call-not-deployed"].format(process="p2"))]


def test_a_called_version_must_be_deployed():
    xml = one(call("verify_onsite", "version", "3"))
    problems = lint(xml, "p.bpmn", KNOWN, FORMS, known_processes={"verify_onsite": [1, 2]})
    assert only(problems) == [("x", MESSAGES["call-version-not-deployed"].format(version=3, process="verify_onsite"))]
    assert problems[0].severity == "warning"
    assert lint(xml, "p.bpmn", KNOWN, FORMS, known_processes={"verify_onsite": [1, 2, 3]}) == []
    assert lint(xml, "p.bpmn", KNOWN, FORMS, known_processes={"verify_onsite"}) == []  # ids only: not checked


def test_binding_deployment_to_a_process_not_in_the_file_could_never_complete():
    xml = one(call("verify_onsite", "deployment"))
    problems = problems_of(xml)
    assert only(problems) == [("x", MESSAGES["call-deployment-binding"].format(process="verify_onsite"))]
    assert problems[0].severity == "error"
    assert problems_of(second_process(one(call("p2", "deployment")))) == []
    load_definitions(xml, "p.bpmn")  # the engine would take it: an incident at every call


def test_a_business_rule_task_without_result_variable_is_a_warning_its_result_would_be_dropped():
    problems = problems_of(one(rule_task(result=None)))
    assert only(problems) == [("x", MESSAGES["decision-no-result"])]
    assert problems[0].severity == "warning"
    # An External business rule task has no decision result to keep.
    assert problems_of(one('<bpmn:businessRuleTask id="x" camunda:type="external" camunda:topic="grade"/>')) == []


def test_a_decision_must_be_deployed():
    xml = one(rule_task())
    assert problems_of(xml) == []  # without known_decisions the rule is skipped
    problems = lint(xml, "p.bpmn", KNOWN, FORMS, known_decisions={"card_deduction": [1]})
    assert only(problems) == [("x", MESSAGES["decision-not-deployed"].format(decision="risk_grading"))]
    assert problems[0].severity == "warning" and blocking(problems, accept_warnings=True) == []
    assert lint(xml, "p.bpmn", KNOWN, FORMS, known_decisions={"risk_grading": [1]}) == []
    # A key worked out from the case is only known when the task runs.
    assert lint(one(rule_task(ref="${table_key}")), "p.bpmn", KNOWN, FORMS, known_decisions={}) == []


def test_a_decision_version_must_be_deployed():
    xml = one(rule_task('camunda:decisionRefBinding="version" camunda:decisionRefVersion="3"'))
    problems = lint(xml, "p.bpmn", KNOWN, FORMS, known_decisions={"risk_grading": [1, 2]})
    assert only(problems) == [("x", MESSAGES["decision-version-not-deployed"].format(version=3,
                                                                                     decision="risk_grading"))]
    assert problems[0].severity == "warning"
    assert lint(xml, "p.bpmn", KNOWN, FORMS, known_decisions={"risk_grading": [1, 2, 3]}) == []
    assert only(lint(xml, "p.bpmn", KNOWN, FORMS, known_decisions={})) == [
        ("x", MESSAGES["decision-not-deployed"].format(decision="risk_grading"))]


def test_binding_deployment_needs_the_decision_deployed_with_the_process_which_the_modeler_cannot():
    xml = one(rule_task('camunda:decisionRefBinding="deployment"'))
    expected = [("x", MESSAGES["decision-deployment-binding"].format(decision="risk_grading"))]
    problems = problems_of(xml)
    assert only(problems) == expected and problems[0].severity == "warning"
    # Whether the key is deployed on its own does not matter: it must come in the same deployment.
    assert only(lint(xml, "p.bpmn", KNOWN, FORMS, known_decisions={"risk_grading": [1]})) == expected
    load_definitions(xml, "p.bpmn")  # the engine takes it (deployed with its decision through the API)


RECEIVE = '<bpmn:receiveTask id="x" messageRef="m_receipt"/>'
SEND = '<bpmn:sendTask id="send" messageRef="m_receipt"/>'


def test_a_message_nobody_here_sends_is_a_note_only_another_system_can_deliver_it():
    xml = one(RECEIVE)
    assert problems_of(xml) == []  # without thrown_messages the rule is skipped
    problems = lint(xml, "p.bpmn", KNOWN, FORMS, thrown_messages=set())
    assert only(problems) == [("x", MESSAGES["message-external"].format(name="receipt"))]
    assert problems[0].severity == INFO and notes(problems) == problems
    assert blocking(problems) == [] and warnings(problems) == [] and errors(problems) == []
    # Sent by a deployed process, or by a process of the file: no note.
    assert lint(xml, "p.bpmn", KNOWN, FORMS, thrown_messages={"receipt"}) == []
    sent_here = second_process(xml, body=f'<bpmn:startEvent id="s2"/>{SEND}<bpmn:endEvent id="e2"/>'
                                         '<bpmn:sequenceFlow id="f1" sourceRef="s2" targetRef="send"/>'
                                         '<bpmn:sequenceFlow id="f2" sourceRef="send" targetRef="e2"/>')
    assert lint(sent_here, "p.bpmn", KNOWN, FORMS, thrown_messages=set()) == []
    # A pool that is not executable (another system drawn in the collaboration) sends nothing here.
    drawn = second_process(xml, body=f'<bpmn:startEvent id="s2"/>{SEND}', executable="false")
    assert only(lint(drawn, "p.bpmn", KNOWN, FORMS, thrown_messages=set())) == [
        ("x", MESSAGES["message-external"].format(name="receipt"))]
    # Message start and boundary events too; a message end event sends.
    start = with_roots(b.process("p", '<bpmn:startEvent id="start"><bpmn:messageEventDefinition '
                                      'messageRef="m_receipt"/></bpmn:startEvent>', good_task(), b.end(),
                                 *b.chain("start", "t", "end")))
    assert only(lint(start, "p.bpmn", KNOWN, FORMS, thrown_messages=set())) == [
        ("start", MESSAGES["message-external"].format(name="receipt"))]
    end = start.replace(b'<bpmn:endEvent id="end"/>', b'<bpmn:endEvent id="end"><bpmn:messageEventDefinition '
                                                      b'messageRef="m_receipt"/></bpmn:endEvent>')
    assert lint(end, "p.bpmn", KNOWN, FORMS, thrown_messages=set()) == []


def test_an_external_send_task_sends_no_message():
    xml = with_roots(simple(RECEIVE, SEND.replace('messageRef', 'camunda:type="external" camunda:topic="t" '
                                                                'messageRef'), ids=["x", "send"]))
    assert only(lint(xml, "p.bpmn", KNOWN, FORMS, thrown_messages=set())) == [
        ("x", MESSAGES["message-external"].format(name="receipt"))]


def test_a_signal_nobody_throws_is_a_warning():
    catch = _catch('<bpmn:signalEventDefinition signalRef="s_go"/>')
    xml = one(catch)
    assert problems_of(xml) == []
    problems = lint(xml, "p.bpmn", KNOWN, FORMS, thrown_signals=set())
    assert only(problems) == [("x", MESSAGES["signal-never-thrown"].format(name="go"))]
    assert problems[0].severity == "warning"
    assert lint(xml, "p.bpmn", KNOWN, FORMS, thrown_signals={"go"}) == []
    thrown = with_roots(simple(catch.replace('id="x"', 'id="wait"'),
                               '<bpmn:intermediateThrowEvent id="x"><bpmn:signalEventDefinition signalRef="s_go"/>'
                               '</bpmn:intermediateThrowEvent>', ids=["x", "wait"]))
    assert lint(thrown, "p.bpmn", KNOWN, FORMS, thrown_signals=set()) == []


def test_deployed_events_are_what_a_files_executable_processes_send():
    collaboration = (CORPUS / "report_closure_collaboration.bpmn").read_bytes()
    sent, signals = deployed_events(collaboration)
    assert sent == {"办结报告", "办结回执"} and signals == frozenset()
    assert deployed_events((CORPUS / "signal_throw.bpmn").read_bytes()) == (frozenset(), {"专项行动结束"})
    assert deployed_events(b"not xml") == (frozenset(), frozenset())


def test_the_campaign_rules_apply_to_every_executable_process_of_the_file():
    xml = second_process(simple(good_task()), body='<bpmn:startEvent id="s2"/><bpmn:userTask id="t2" name="t2" '
                                                   'camunda:candidateGroups="office" camunda:formKey="lead/verify"/>'
                                                   '<bpmn:endEvent id="e2"/>'
                                                   '<bpmn:sequenceFlow id="f1" sourceRef="s2" targetRef="t2"/>'
                                                   '<bpmn:sequenceFlow id="f2" sourceRef="t2" targetRef="e2"/>')
    assert only(problems_of(xml)) == [("t2", MESSAGES["user-task-due"])]
