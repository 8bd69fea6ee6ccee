"""Scripts as Camunda Modeler and SpiffWorkflow's examples write them: a format other than Python (or a
script kept outside the file) is refused at deploy naming the element; listeners and input/output
mappings SpiffWorkflow does not read are deploy warnings; print() works at run time as the deploy check
says it does (its output goes to the log); a multi-instance task whose collection or count is missing
becomes an incident naming the task, whichever command reaches it."""
import json
import logging

import pytest
from sqlalchemy import select

from engine import lint
from engine.bpmn import isolation, multiinstance, sandbox, serialization
from engine.bpmn.loader import load_definition
from engine.errors import BpmnValidationError
from engine.store.models import HumanTask, Incident, ProcessInstance
from tests import bpmn_builder as b
from tests.helpers import OFFICER, SUPERVISOR, open_tasks


def _script_process(script="done = 1", script_format='scriptFormat="python"', extra=""):
    task = (f'<bpmn:scriptTask id="compute" name="计算" {script_format} {extra}>'
            f"<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>")
    return b.process("formats", b.start(), task, b.user_task("review", due="P1WD"), b.end(),
                     *b.chain("start", "compute", "review", "end"))


def _incidents(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()


def _status(session_factory, instance_id):
    with session_factory() as s:
        return s.get(ProcessInstance, instance_id).status


def _data(engine, session_factory, instance_id):
    with session_factory() as s:
        _, workflow = engine.load_workflow(s, instance_id)
        return workflow.last_task.data if workflow.last_task else workflow.task_tree.data


# -- script formats ----------------------------------------------------------------------------------

@pytest.mark.parametrize("script_format", ["groovy", "javascript", "JavaScript", "js", "juel", "ecmascript"])
def test_a_script_in_another_language_is_refused_at_deploy_naming_the_element_and_the_format(engine, script_format):
    # `done = 1` is valid Python too: the format decides, not whether the text happens to compile.
    for script in ("done = 1", "println 'checked'"):
        with pytest.raises(BpmnValidationError) as info:
            engine.deploy(_script_process(script, f'scriptFormat="{script_format}"'), "formats.bpmn")
        [problem] = info.value.problems
        assert problem.element_id == "compute" and problem.file == "formats.bpmn"
        assert problem.message.startswith(f"script format {script_format!r} cannot run here: "
                                          'only Python scripts run here (scriptFormat="python")')


def test_the_administrators_lint_refuses_it_too(engine):
    [problem] = lint.errors(lint.lint(_script_process(script_format='scriptFormat="groovy"'), "formats.bpmn"))
    assert problem.element_id == "compute" and "script format 'groovy' cannot run here" in problem.message


@pytest.mark.parametrize("script_format", ['scriptFormat="python"', 'scriptFormat="Python"', 'scriptFormat="py"',
                                           'scriptFormat="python3"', 'scriptFormat=" PYTHON "', ""])
def test_python_under_any_of_its_names_or_no_format_at_all_deploys_and_runs(engine, session_factory, script_format):
    engine.deploy(_script_process("done = 1", script_format))
    instance_id = engine.start("formats")
    assert _incidents(session_factory, instance_id) == []
    [task] = open_tasks(session_factory, instance_id)
    assert task.element_id == "review"


def test_a_script_stored_outside_the_file_is_refused_naming_the_element(engine):
    xml = _script_process(script_format='scriptFormat="python"', extra='camunda:resource="deployment://compute.py"')
    xml = xml.replace(b"<bpmn:script>done = 1</bpmn:script>", b"")
    with pytest.raises(BpmnValidationError) as info:
        engine.deploy(xml, "formats.bpmn")
    [problem] = info.value.problems
    assert problem.element_id == "compute"
    assert "camunda:resource='deployment://compute.py'" in problem.message and "cannot run here" in problem.message


def test_a_multi_instance_script_task_with_camunda_attributes_deploys_and_runs_once_per_item(engine, session_factory):
    task = ('<bpmn:scriptTask id="compute" scriptFormat="python">'
            '<bpmn:multiInstanceLoopCharacteristics camunda:collection="units" camunda:elementVariable="unit"/>'
            "<bpmn:script>unit = unit + '-checked'</bpmn:script></bpmn:scriptTask>")
    engine.deploy(b.process("each", b.start(), task, b.user_task("review", due="P1WD"), b.end(),
                            *b.chain("start", "compute", "review", "end")))
    instance_id = engine.start("each", {"units": ["office", "market"]})
    assert _incidents(session_factory, instance_id) == []
    assert _data(engine, session_factory, instance_id)["units"] == ["office-checked", "market-checked"]


# -- what SpiffWorkflow does not read: deploy warnings ------------------------------------------------

LISTENERS = (
    '<bpmn:userTask id="step" name="办理" camunda:candidateGroups="office" camunda:dueDate="P1WD">'
    "<bpmn:extensionElements>"
    '<camunda:taskListener event="create"><camunda:script scriptFormat="groovy">task.setVariable("a", 1)'
    "</camunda:script></camunda:taskListener>"
    '<camunda:executionListener event="end" class="org.example.Notify"/>'
    '<camunda:inputOutput><camunda:inputParameter name="grade">${lead.grade}</camunda:inputParameter>'
    '<camunda:outputParameter name="answer"><camunda:script scriptFormat="javascript">1</camunda:script>'
    "</camunda:outputParameter></camunda:inputOutput>"
    "</bpmn:extensionElements></bpmn:userTask>")


def test_listeners_input_output_and_result_variables_are_deploy_warnings_naming_the_element(engine):
    compute = ('<bpmn:scriptTask id="compute" scriptFormat="python" camunda:resultVariable="total">'
               "<bpmn:script>total = 1</bpmn:script></bpmn:scriptTask>")
    xml = b.process("listened", b.start(), LISTENERS, compute, b.end(), *b.chain("start", "step", "compute", "end"))
    result = engine.deploy(xml, "listened.bpmn")
    assert result.created  # warnings do not stop the API's deploy; they are said
    warnings = {(w.element_id, w.message.split(" ")[0]): w for w in result.warnings}
    assert set(warnings) == {("step", "camunda:taskListener"), ("step", "camunda:executionListener"),
                             ("step", "camunda:inputOutput"), ("compute", "camunda:resultVariable")}
    assert all(w.severity == "warning" and w.file == "listened.bpmn" and w.line for w in result.warnings)
    assert "script (groovy) never runs" in warnings["step", "camunda:taskListener"].message
    assert "Java class never runs" in warnings["step", "camunda:executionListener"].message
    assert "(grade, answer)" in warnings["step", "camunda:inputOutput"].message
    assert "total = ..." in warnings["compute", "camunda:resultVariable"].message
    # The administrators' modeler shows them as warnings (to accept before deploying), not errors.
    problems = lint.lint(xml, "listened.bpmn")
    assert lint.errors(problems) == []
    assert len([p for p in lint.warnings(problems) if p.message.startswith("camunda:")]) == 4


def test_a_plain_process_has_no_such_warning(engine):
    assert engine.deploy(_script_process()).warnings == []


# -- print() -------------------------------------------------------------------------------------------

PRINTING = "print('checking', len(units), 'units')\ndone = 1"


def _printed(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "engine.bpmn.scripts"]


def test_print_passes_the_deploy_check_and_runs_its_output_going_to_the_log(engine, session_factory, caplog):
    engine.deploy(_script_process(PRINTING))  # the deploy check accepts it ...
    with caplog.at_level(logging.INFO, logger="engine.bpmn.scripts"):
        instance_id = engine.start("formats", {"units": ["office", "market"]})  # ... and so does the run
    assert _incidents(session_factory, instance_id) == [] and _status(session_factory, instance_id) == "running"
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["review"]
    assert _printed(caplog) == ["script of compute in process formats printed: checking 2 units"]


def test_print_runs_in_process_too(engine, session_factory, caplog):
    engine.deploy(_script_process(PRINTING))
    with isolation.in_process(), caplog.at_level(logging.INFO, logger="engine.bpmn.scripts"):
        instance_id = engine.start("formats", {"units": ["office"]})
    assert _incidents(session_factory, instance_id) == []
    assert _printed(caplog) == ["script of compute in process formats printed: checking 1 units"]


@pytest.mark.parametrize("where", ["worker", "in process"])
def test_printed_output_is_bounded_and_a_failing_script_still_logs_what_it_printed(where, caplog):
    run = sandbox.execute if where == "in process" else isolation.execute
    with caplog.at_level(logging.INFO, logger="engine.bpmn.scripts"):
        context = {}
        run("for n in range(50000):\n    print('line', n)\nfinished = True", context)
        assert context == {"n": 49999, "finished": True}
        with pytest.raises(ZeroDivisionError):
            run("print('before the failure')\nx = 1 / 0", {})
    bounded, failed = _printed(caplog)
    assert bounded.endswith(f"... (cut at {sandbox.MAX_PRINTED} characters)")
    assert len(bounded) < sandbox.MAX_PRINTED + 100 and "line 0\nline 1\n" in bounded
    assert failed == "a BPMN script printed: before the failure"


@pytest.mark.parametrize("where", ["worker", "in process"])
def test_print_inside_functions_printed_and_expressions(where, caplog):
    run = sandbox.execute if where == "in process" else isolation.execute
    evaluate = sandbox.evaluate if where == "in process" else isolation.evaluate
    context = {}
    with caplog.at_level(logging.INFO, logger="engine.bpmn.scripts"):
        run("def note(x):\n    print('note', x)\n    return x\nn = note(2)\nprint('top', file=None)\n"
            "shown = printed", context)
        assert evaluate("print('in an expression') or 5 > 3", {}) is True
    assert context == {"n": 2, "shown": "note 2\ntop\n"}
    assert _printed(caplog) == ["a BPMN script printed: note 2\ntop", "a BPMN script printed: in an expression"]


# -- multi-instance with a missing collection or count ---------------------------------------------------

def _multi_instance(characteristics="", body="", before=()):
    task = ('<bpmn:userTask id="step" name="各单位办理" camunda:candidateGroups="office" camunda:dueDate="P1WD">'
            f"<bpmn:multiInstanceLoopCharacteristics {characteristics}>{body}"
            "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>")
    ids = ["start", *(task_id for task_id in before), "step", "end"]
    return b.process("each", b.start(), *(b.user_task(t, due="P1WD") for t in before), task, b.end(), *b.chain(*ids))


COLLECTION = 'camunda:collection="units" camunda:elementVariable="unit"'
SEQUENTIAL = 'isSequential="true" camunda:collection="units" camunda:elementVariable="unit"'


@pytest.mark.parametrize("characteristics", [COLLECTION, SEQUENTIAL], ids=["parallel", "sequential"])
def test_a_missing_collection_at_start_is_an_incident_naming_the_task_and_the_variable(
        engine, session_factory, characteristics):
    engine.deploy(_multi_instance(characteristics))
    instance_id = engine.start("each")  # returns: the failure is the case's, not the command's
    [incident] = _incidents(session_factory, instance_id)
    assert incident.kind == "script_error" and incident.element_id == "step"
    assert "the multi-instance collection 'units' is not in the case's data" in incident.message
    assert _status(session_factory, instance_id) == "error" and open_tasks(session_factory, instance_id) == []

    engine.retry(instance_id, SUPERVISOR, data={"units": ["office", "market"]}, reason="units named")
    assert _status(session_factory, instance_id) == "running"
    tasks = open_tasks(session_factory, instance_id)
    assert [t.element_id for t in tasks] == ["step"] * (2 if characteristics == COLLECTION else 1)
    for _ in range(2):
        [task, *_] = open_tasks(session_factory, instance_id)
        engine.complete(task.id, OFFICER, {})
    assert _status(session_factory, instance_id) == "completed"


@pytest.mark.parametrize("characteristics, body, words", [
    (COLLECTION, "", "collection 'units' is not in the case's data"),
    (SEQUENTIAL, "", "collection 'units' is not in the case's data"),
    ("", "<bpmn:loopCardinality>${count}</bpmn:loopCardinality>", "name 'count' is not defined"),
    ('isSequential="true"', "<bpmn:loopCardinality>count</bpmn:loopCardinality>", "name 'count' is not defined"),
], ids=["parallel", "sequential", "count", "sequential count"])
def test_after_a_user_task_its_completion_returns_and_the_failure_is_an_incident(
        engine, session_factory, characteristics, body, words):
    engine.deploy(_multi_instance(characteristics, body, before=["register"]))
    instance_id = engine.start("each")
    [register] = open_tasks(session_factory, instance_id)
    engine.complete(register.id, OFFICER, {})  # raised TypeError (or SpiffWorkflow's error) before
    [incident] = _incidents(session_factory, instance_id)
    assert incident.kind == "script_error" and incident.element_id == "step" and words in incident.message
    assert _status(session_factory, instance_id) == "error"
    with session_factory() as s:
        assert s.get(HumanTask, register.id).status == "completed"  # the officer's work is kept


def test_after_a_timer_the_timer_fires_and_the_failure_is_an_incident(engine, session_factory, clock):
    task = _multi_instance(COLLECTION).replace(b'<bpmn:startEvent id="start"/>', b'<bpmn:startEvent id="start"/>'
                                               + b.timer_event("wait", value="PT1H").encode())
    task = task.replace(b'sourceRef="start" targetRef="step"', b'sourceRef="start" targetRef="wait"').replace(
        b"</bpmn:process>", b'<bpmn:sequenceFlow id="f_wait_step" sourceRef="wait" targetRef="step"/></bpmn:process>')
    engine.deploy(task)
    instance_id = engine.start("each")
    clock.advance(hours=1, seconds=1)
    assert engine.fire_due_timers() == 1
    [incident] = _incidents(session_factory, instance_id)
    assert incident.element_id == "step" and "collection 'units'" in incident.message


def test_a_collection_that_is_no_list_is_named_and_a_retry_with_a_list_wins_over_the_previous_tasks_value(
        engine, session_factory):
    engine.deploy(_multi_instance(COLLECTION, before=["register"]))
    instance_id = engine.start("each")
    [register] = open_tasks(session_factory, instance_id)
    engine.complete(register.id, OFFICER, {"units": None})
    [incident] = _incidents(session_factory, instance_id)
    assert incident.element_id == "step" and "collection 'units' is NoneType, not a list or a dict" in incident.message
    engine.retry(instance_id, SUPERVISOR, data={"units": ["office"]}, reason="units named")
    assert [t.element_id for t in open_tasks(session_factory, instance_id)] == ["step"]


def test_an_empty_collection_passes_straight_through(engine, session_factory):
    engine.deploy(_multi_instance(COLLECTION, before=["register"]))
    instance_id = engine.start("each")
    engine.complete(open_tasks(session_factory, instance_id)[0].id, OFFICER, {"units": []})
    assert _incidents(session_factory, instance_id) == [] and _status(session_factory, instance_id) == "completed"


def test_versions_stored_before_restore_as_the_checked_task_specs():
    parsed = load_definition(_multi_instance(COLLECTION))
    stored = serialization.dump_spec(parsed.spec, parsed.subprocess_specs)
    # SpiffWorkflow's own name, as before: what was deployed earlier reads the same.
    assert json.loads(stored)["spec"]["task_specs"]["step"]["typename"] == "ParallelMultiInstanceTask"
    spec, _ = serialization.load_spec(stored)
    assert isinstance(spec.task_specs["step"], multiinstance.DubanParallelMultiInstanceTask)
