"""Decisions: deployed and versioned like processes, every hit policy, and business rule tasks with
their bindings and result mappings; a table that cannot decide is an incident naming its inputs."""
import pytest
from sqlalchemy import select

from engine.dmn.loader import load_decisions
from engine.dmn.table import DecisionFailed
from engine.errors import BpmnValidationError, NotFound
from engine.store.decision_models import DecisionDefinition
from engine.store.models import Incident, ProcessInstance
from tests import bpmn_builder as b
from tests import dmn_builder as d
from tests.helpers import SUPERVISOR, open_tasks


def evaluate(xml: bytes, variables: dict, key=None):
    [parsed] = [p for p in load_decisions(xml) if key in (None, p.key)]
    return parsed.table.evaluate(variables)


def results(xml: bytes, variables: dict):
    return evaluate(xml, variables).results


AMOUNT_RULES = [(["< 100"], ['"low"']), (["[100..1000]"], ['"mid"']), (["> 500"], ['"high"'])]


# -- hit policies ---------------------------------------------------------------

def test_unique_gives_the_one_matching_rule_and_refuses_none_or_several():
    xml = d.table(rules=[(["< 100"], ['"low"']), (["[100..1000]"], ['"mid"']), (["> 1000"], ['"high"'])])
    assert results(xml, {"amount": 50}) == [{"level": "low"}]
    assert results(xml, {"amount": 1000}) == [{"level": "mid"}]
    overlapping = d.table(rules=AMOUNT_RULES)
    with pytest.raises(DecisionFailed, match=r"rules 2, 3 all match; UNIQUE allows one; inputs: 金额 = 600"):
        results(overlapping, {"amount": 600})
    with pytest.raises(DecisionFailed, match="no rule matches; inputs: 金额 = None"):
        results(xml, {})


def test_first_stops_at_the_first_match():
    xml = d.table(policy="FIRST", rules=AMOUNT_RULES)
    outcome = evaluate(xml, {"amount": 600})
    assert outcome.results == [{"level": "mid"}] and [m.row for m in outcome.matched] == [2]
    assert results(xml, {"amount": -1}) == [{"level": "low"}]


def test_rule_order_and_collect_give_every_match_in_table_order():
    for policy in ("RULE ORDER", "COLLECT"):
        xml = d.table(policy=policy, rules=AMOUNT_RULES)
        assert results(xml, {"amount": 600}) == [{"level": "mid"}, {"level": "high"}]
        assert results(xml, {"amount": None}) == []


def test_any_needs_equal_outputs():
    same = d.table(policy="ANY", rules=[(["> 1"], ['"x"']), (["> 2"], ['"x"'])])
    assert results(same, {"amount": 5}) == [{"level": "x"}]
    differ = d.table(policy="ANY", rules=[(["> 1"], ['"x"']), (["> 2"], ['"y"'])])
    with pytest.raises(DecisionFailed, match="different outputs"):
        results(differ, {"amount": 5})


def test_priority_and_output_order_follow_the_outputs_allowed_values():
    outputs = [("level", "string", '"high"', '"mid"', '"low"')]
    priority = d.table(policy="PRIORITY", rules=AMOUNT_RULES, outputs=outputs)
    assert results(priority, {"amount": 600}) == [{"level": "high"}]
    ordered = d.table(policy="OUTPUT ORDER", rules=AMOUNT_RULES, outputs=outputs)
    assert results(ordered, {"amount": 600}) == [{"level": "high"}, {"level": "mid"}]
    without_values = d.table(policy="PRIORITY", rules=AMOUNT_RULES)
    with pytest.raises(BpmnValidationError, match="needs the allowed values of output"):
        load_decisions(without_values)


@pytest.mark.parametrize("aggregation, expected", [("SUM", 7), ("MIN", 2), ("MAX", 5), ("COUNT", 2)])
def test_collect_aggregations(aggregation, expected):
    xml = d.table(policy="COLLECT", aggregation=aggregation, outputs=[("points", "integer")],
                  rules=[(["> 0"], ["2"]), (["> 10"], ["5"]), (["> 1000"], ["9"])])
    assert results(xml, {"amount": 50}) == [{"points": expected}]


def test_aggregations_on_no_match():
    for aggregation, expected in (("SUM", []), ("COUNT", [{"points": 0}])):
        xml = d.table(policy="COLLECT", aggregation=aggregation, outputs=[("points", "integer")],
                      rules=[(["> 0"], ["2"])])
        assert results(xml, {"amount": -5}) == expected


def test_several_inputs_and_outputs_and_names_in_entries():
    xml = d.definitions(d.decision(
        "deduction", [("渠道", "channel", "string"), ("逾期天数", "days_late", "integer"), ("上限", "cap", "integer")],
        [("points", "integer"), ("card", "string")],
        [(['"hotline","police"', "> cap", "-"], ["3", '"yellow"'], "逾期超过上限"),
         (['not("hotline","police")', "[1..5]", "-"], ["1", "null"]),
         (["-", "-", "-"], ["0", "null"])], policy="FIRST"))
    outcome = evaluate(xml, {"channel": "police", "days_late": 9, "cap": 5})
    assert outcome.results == [{"points": 3, "card": "yellow"}]
    assert outcome.matched[0].description == "逾期超过上限" and outcome.matched[0].row == 1
    assert results(xml, {"channel": "grid", "days_late": 3, "cap": 5}) == [{"points": 1, "card": None}]
    assert results(xml, {"channel": "hotline", "days_late": 3, "cap": 5}) == [{"points": 0, "card": None}]


def test_inputs_read_dotted_paths_and_sandboxed_expressions():
    xml = d.table(inputs=[("金额", "${case.amount * 2}", "double")])
    assert results(xml, {"case": {"amount": 300}}) == [{"level": "mid"}]
    path = d.table(inputs=[("金额", "case.amount", "double")])
    assert results(path, {"case": {"amount": 5}}) == [{"level": "low"}]
    refused = d.table(inputs=[("金额", "__import__('os').getcwd()", "double")])
    with pytest.raises(BpmnValidationError, match="cannot run here"):
        load_decisions(refused)


# -- deploy-time checks ---------------------------------------------------------

def problems_of(xml: bytes) -> list:
    with pytest.raises(BpmnValidationError) as caught:
        load_decisions(xml, "bad.dmn")
    return caught.value.problems


def test_unreadable_entries_are_refused_naming_rule_column_and_cell():
    xml = d.table(rules=[(["< 100"], ['"low"']), (["<< 3"], ['"mid"']), (["> limit"], ["high"])])
    found = {p.element_id: p.message for p in problems_of(xml)}
    assert set(found) == {"grading_r2_i0", "grading_r3_i0", "grading_r3_o0"}
    assert found["grading_r2_i0"].startswith('rule 2, input "金额":')
    assert "unknown input name limit" in found["grading_r3_i0"]
    assert found["grading_r3_o0"].startswith('rule 3, output "level":')
    assert all(p.file == "bad.dmn" for p in problems_of(xml))


def test_overlapping_unique_rules_are_a_warning_on_the_later_rule():
    [parsed] = load_decisions(d.table(rules=AMOUNT_RULES))
    assert [(w.element_id, w.severity) for w in parsed.warnings] == [("grading_r3", "warning")]
    assert "rules 2 and 3 can match the same inputs" in parsed.warnings[0].message


def test_hostile_and_foreign_files_are_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><definitions '
            b'xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/">&a;</definitions>')
    assert "DOCTYPE" in problems_of(bomb)[0].message
    bpmn = b.process("p", b.start(), b.end(), *b.chain("start", "end"))
    assert "not a DMN file" in problems_of(bpmn)[0].message
    literal = d.definitions('<decision id="lit" name="lit"><literalExpression id="e"><text>1</text>'
                            '</literalExpression></decision>')
    assert "only decisions with one decision table" in problems_of(literal)[0].message
    assert problems_of(b"<definitions")[0].message.startswith("XML is not well-formed")


# -- versions ---------------------------------------------------------------------

def test_deploy_versions_like_processes(engine, session_factory):
    [first] = engine.deploy_decisions(d.table(), "grading.dmn")
    assert first.created and first.definition.version == 1 and first.definition.hit_policy == "UNIQUE"
    [again] = engine.deploy_decisions(d.table(), "grading.dmn")
    assert not again.created and again.definition.version == 1
    changed = d.table(rules=[(["< 10"], ['"low"']), (["[10..1000]"], ['"mid"']), (["> 1000"], ['"high"'])])
    [second] = engine.deploy_decisions(changed, "grading.dmn")
    assert second.created and second.definition.version == 2
    definition, outcome = engine.evaluate_decision("grading", {"amount": 50})
    assert definition.version == 2 and outcome.results == [{"level": "mid"}]
    definition, outcome = engine.evaluate_decision("grading", {"amount": 50}, version=1)
    assert definition.version == 1 and outcome.results == [{"level": "low"}]
    with pytest.raises(NotFound):
        engine.evaluate_decision("nothing", {})
    with pytest.raises(BpmnValidationError):
        engine.deploy_decisions(b"<definitions/>", "bad.dmn")
    with session_factory() as s:
        assert s.scalar(select(DecisionDefinition.version).order_by(DecisionDefinition.version.desc())) == 2


def test_a_file_with_two_decisions_deploys_both(engine):
    xml = d.definitions(d.decision("a", [("x", "x", "integer")], [("y", "string")], [(["-"], ['"a"'])]),
                        d.decision("b", [("x", "x", "integer")], [("y", "string")], [(["-"], ['"b"'])]))
    deployed = engine.deploy_decisions(xml, "two.dmn")
    assert [(r.definition.decision_key, r.definition.version) for r in deployed] == [("a", 1), ("b", 1)]
    assert engine.evaluate_decision("b", {})[1].results == [{"y": "b"}]


# -- business rule tasks ------------------------------------------------------------

def rule_task(ref="grading", binding=None, version=None, result="level", mapping=None):
    attrs = f' camunda:decisionRef="{ref}"'
    attrs += f' camunda:decisionRefBinding="{binding}"' if binding else ""
    attrs += f' camunda:decisionRefVersion="{version}"' if version is not None else ""
    attrs += f' camunda:resultVariable="{result}"' if result else ""
    attrs += f' camunda:mapDecisionResult="{mapping}"' if mapping else ""
    return f'<bpmn:businessRuleTask id="decide" name="定级"{attrs}/>'


def graded(process_id="graded", **kwargs) -> str:
    return b.process(process_id, b.start(), rule_task(**kwargs), b.user_task("after"), b.end(),
                     *b.chain("start", "decide", "after", "end"))


def data_at_after(engine, session_factory, instance_id):
    with session_factory() as s:
        _, workflow = engine.load_workflow(s, instance_id)
    return workflow.get_tasks(spec_name="after")[0].data


@pytest.mark.parametrize("mapping, expected", [
    (None, [{"level": "mid"}]), ("resultList", [{"level": "mid"}]), ("singleResult", {"level": "mid"}),
    ("singleEntry", "mid"), ("collectEntries", ["mid"])])
def test_result_mappings(engine, session_factory, mapping, expected):
    engine.deploy_decisions(d.table(), "grading.dmn")
    engine.deploy(graded(mapping=mapping))
    instance_id = engine.start("graded", {"amount": 500})
    assert data_at_after(engine, session_factory, instance_id)["level"] == expected


def test_mappings_that_need_one_result_fail_on_several(engine, session_factory):
    engine.deploy_decisions(d.table(policy="COLLECT", rules=AMOUNT_RULES), "grading.dmn")
    engine.deploy(graded(mapping="singleEntry"))
    instance_id = engine.start("graded", {"amount": 600})
    [incident] = incidents(session_factory, instance_id)
    assert incident.kind == "decision_error" and "singleEntry needs at most one result" in incident.message
    engine.deploy(graded(process_id="listed", mapping="collectEntries"))
    listed = engine.start("listed", {"amount": 600})
    assert data_at_after(engine, session_factory, listed)["level"] == ["mid", "high"]


def incidents(session_factory, instance_id):
    with session_factory() as s:
        return s.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()


def test_no_match_under_unique_is_an_incident_naming_decision_and_inputs_then_retry(engine, session_factory):
    engine.deploy_decisions(d.table(rules=[(["< 100"], ['"low"'])]), "grading.dmn")
    engine.deploy(graded())
    instance_id = engine.start("graded", {"amount": 5000})
    [incident] = incidents(session_factory, instance_id)
    assert incident.element_id == "decide" and incident.kind == "decision_error"
    assert "decision grading (UNIQUE): no rule matches; inputs: 金额 = 5000" in incident.message
    engine.deploy_decisions(d.table(), "grading.dmn")  # the office fixes the table; the case is retried
    engine.retry(instance_id, SUPERVISOR, reason="table fixed")
    assert data_at_after(engine, session_factory, instance_id)["level"] == [{"level": "high"}]


def test_bindings_latest_version_and_deployment(engine, session_factory):
    v1 = d.table(rules=[(["-"], ['"v1"'])])
    v2 = d.table(rules=[(["-"], ['"v2"'])])
    v3 = d.table(rules=[(["-"], ['"v3"'])])
    engine.deploy_decisions(v1, "grading.dmn")
    engine.deploy(graded("with_latest", mapping="singleEntry"))
    engine.deploy(graded("pinned", binding="version", version=1, mapping="singleEntry"))
    engine.deploy(graded("bundled", binding="deployment", mapping="singleEntry"), "bundled.bpmn",
                  decisions=[("grading.dmn", v2)])
    engine.deploy_decisions(v3, "grading.dmn")
    level = {p: data_at_after(engine, session_factory, engine.start(p, {}))["level"]
             for p in ("with_latest", "pinned", "bundled")}
    assert level == {"with_latest": "v3", "pinned": "v1", "bundled": "v2"}
    engine.deploy(graded("alone", binding="deployment"))
    alone = engine.start("alone", {})
    [incident] = incidents(session_factory, alone)
    assert "was not deployed together with this process version" in incident.message


def test_deploy_warns_of_a_decision_not_deployed_and_refuses_bad_settings(engine):
    result = engine.deploy(graded(ref="missing"))
    assert any("evaluates decision 'missing', which is not deployed" in w.message for w in result.warnings)
    with pytest.raises(BpmnValidationError, match="mapDecisionResult 'oneValue' is not one of"):
        engine.deploy(graded(mapping="oneValue"))
    with pytest.raises(BpmnValidationError, match="needs camunda:decisionRefVersion"):
        engine.deploy(graded(binding="version"))
    with pytest.raises(BpmnValidationError, match="names no decision"):
        engine.deploy(graded(ref=""))


def test_the_evaluation_is_audited_with_the_rule_that_matched(engine, session_factory):
    from engine.store.models import AuditEvent
    engine.deploy_decisions(d.table(), "grading.dmn")
    engine.deploy(graded())
    instance_id = engine.start("graded", {"amount": 5})
    with session_factory() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "decision.evaluated",
                                                   AuditEvent.instance_id == instance_id)).one()
        assert s.get(ProcessInstance, instance_id).status == "running"
    assert event.data["decision"] == "grading" and event.data["rules"] == [1]
    assert event.data["results"] == [{"level": "low"}] and event.element_id == "decide"
    assert open_tasks(session_factory)


def test_an_entry_outside_the_inputs_allowed_values_is_refused():
    xml = d.definitions(d.decision("heat", [("舆论热度", "opinion_heat", "string")], [("grade", "string")],
                                   [(['"hihg"'], ['"red"']), (['"high","low"'], ['"orange"']), (["-"], ['"green"'])],
                                   policy="FIRST").replace(
        '</inputExpression></input>',
        '</inputExpression><inputValues id="v"><text>"none","low","medium","high"</text></inputValues></input>'))
    [problem] = problems_of(xml)
    assert problem.element_id == "heat_r1_i0"
    assert problem.message == ('rule 1, input "舆论热度": "hihg" never matches: the input\'s values are '
                               '"none","low","medium","high"')


@pytest.mark.parametrize("factors, grade, row", [
    ((150, 0, "none", "none"), "red", 2), ((5, 0, "low", "high"), "red", 1), ((5, 6_000_000, "none", "none"), "red", 3),
    ((40, 0, "none", "none"), "orange", 7), ((5, 2_000_000, "none", "none"), "orange", 8),
    ((5, 0, "medium", "none"), "yellow", 9), ((12, 0, "none", "none"), "yellow", 11), ((3, 1000, "low", "none"), "green", 13)])
def test_the_shipped_risk_grading_table(factors, grade, row):
    from pathlib import Path
    source = (Path(__file__).resolve().parents[1] / "processes" / "decisions" / "risk_grading.dmn").read_bytes()
    [parsed] = load_decisions(source, "risk_grading.dmn")
    assert parsed.name == "风险等级研判（红橙黄绿）" and not parsed.warnings
    outcome = parsed.table.evaluate(dict(zip(("people_involved", "money_at_risk", "opinion_heat", "stability_risk"),
                                             factors)))
    assert outcome.results == [{"grade": grade}] and outcome.matched[0].row == row


def test_a_decision_requiring_another_gets_its_outputs_first():
    requirement = '<informationRequirement id="req"><requiredDecision href="#level"/></informationRequirement>'
    level = d.decision("level", [("金额", "amount", "double")], [("level", "string")],
                       [(["< 100"], ['"low"']), ([">= 100"], ['"high"'])])
    action = d.decision("action", [("级别", "level", "string")], [("action", "string")],
                        [(['"low"'], ['"warn"']), (['"high"'], ['"interview"'])]).replace(
        '"><decisionTable', f'">{requirement}<decisionTable', 1)
    xml = d.definitions(level, action)
    assert evaluate(xml, {"amount": 500}, key="action").results == [{"action": "interview"}]
    cyclic = d.definitions(level.replace('"><decisionTable', '"><informationRequirement id="r2"><requiredDecision '
                                         'href="#action"/></informationRequirement><decisionTable', 1), action)
    assert any("a cycle" in p.message for p in problems_of(cyclic))
    missing = d.definitions(action)
    assert "requires decision 'level', which is not a decision table of this file" in problems_of(missing)[0].message
