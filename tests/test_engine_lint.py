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
