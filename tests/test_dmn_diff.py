"""What changed in a decision table between two versions (engine.dmn.diff), as the diff page shows it."""
from html import escape

import pytest

from engine.dmn.diff import diff_decisions
from engine.errors import BpmnValidationError
from tests import dmn_builder as dmn

INPUTS = [("金额", "amount", "double"), ("渠道", "channel", "string")]
RULES = [(["< 100", '"hotline"'], ['"low"'], "小额热线"), (["[100..1000]", "-"], ['"mid"'], "中额"),
         (["> 1000", "-"], ['"high"'], "大额")]


def _xml(rules=RULES, inputs=INPUTS, outputs=(("level", "string"),), policy="UNIQUE", name="分级"):
    return dmn.definitions(dmn.decision("grading", list(inputs), list(outputs), rules, policy, name=name))


def _summary(changes):
    return [(c.part, c.action, c.element_id) for c in changes]


def test_the_same_table_has_no_changes():
    assert diff_decisions(_xml(), _xml(), "grading") == []


def test_a_changed_cell_is_named_by_rule_row_and_column():
    rules = [RULES[0], (["[50..1000]", "-"], ['"medium"'], "中额"), RULES[2]]
    (change,) = diff_decisions(_xml(), _xml(rules), "grading")
    assert (change.part, change.action, change.element_id, change.row, change.description) == (
        "rule", "changed", "grading_r2", 2, "中额")
    assert [(c.column, c.kind, c.old, c.new) for c in change.cells] == [
        ("金额", "input", "[100..1000]", "[50..1000]"), ("level", "output", '"mid"', '"medium"')]


def test_hit_policy_name_and_columns_renamed_added_removed_changed():
    inputs = [("金额（元）", "amount", "double"), ("渠道", "source_channel", "string")]
    old = _xml()
    new = dmn.definitions(dmn.decision("grading", inputs, [("level", "string"), ("note", "string")],
                                       [(r[0], r[1] + ['""'], r[2]) for r in RULES], "FIRST", name="风险分级"))
    changes = diff_decisions(old, new, "grading")
    assert _summary(changes) == [("decision", "renamed", "grading"), ("hit_policy", "changed", None),
                                 ("input", "renamed", "grading_in0"), ("input", "changed", "grading_in1"),
                                 ("output", "added", "grading_out1")]
    assert [(f.field, f.old, f.new) for f in changes[1].fields] == [("hit_policy", "UNIQUE", "FIRST")]
    assert [(f.field, f.old, f.new) for f in changes[2].fields] == [("label", "金额", "金额（元）")]
    assert [(f.field, f.old, f.new) for f in changes[3].fields] == [("expression", "channel", "source_channel")]
    removed = diff_decisions(new, old, "grading")
    assert ("output", "removed", "grading_out1") in _summary(removed)


def test_rules_added_removed_and_moved():
    # dmn_builder numbers rule ids by position: build the files by hand-picked ids instead.
    def table(order):
        rules = "".join(f'<rule id="{rule_id}"><description>{rule_id}</description>'
                        f'<inputEntry id="{rule_id}_i"><text>{escape(text)}</text></inputEntry>'
                        f'<outputEntry id="{rule_id}_o"><text>"{rule_id}"</text></outputEntry></rule>'
                        for rule_id, text in order)
        return dmn.definitions(
            '<decision id="grading" name="分级"><decisionTable id="t" hitPolicy="FIRST">'
            '<input id="in" label="金额"><inputExpression id="ie" typeRef="double"><text>amount</text>'
            '</inputExpression></input><output id="out" name="level" typeRef="string"/>' + rules
            + "</decisionTable></decision>")

    old = table([("a", "< 1"), ("b", "< 2"), ("c", "< 3"), ("d", "< 4")])
    # x inserted first (renumbers the rest: not a move), c removed, d moved above b.
    new = table([("x", "< 0"), ("a", "< 1"), ("d", "< 4"), ("b", "< 2")])
    changes = diff_decisions(old, new, "grading")
    assert _summary(changes) == [("rule", "added", "x"), ("rule", "changed", "d"), ("rule", "removed", "c")]
    assert changes[0].row == 1 and changes[0].entries == [("金额", "< 0"), ("level", '"x"')]
    assert [(f.field, f.old, f.new) for f in changes[1].fields] == [("row", "4", "3")]
    assert changes[2].row == 3 and changes[2].entries == [("金额", "< 3"), ("level", '"c"')]


def test_a_decision_missing_from_one_version_and_hostile_files():
    other = dmn.definitions(dmn.decision("other", [("金额", "amount", "double")], [("level", "string")],
                                         [(["-"], ['"x"'])]))
    assert _summary(diff_decisions(other, _xml(), "grading")) == [("decision", "added", "grading")]
    assert _summary(diff_decisions(_xml(), other, "grading")) == [("decision", "removed", "grading")]
    assert diff_decisions(other, other, "grading") == []
    with pytest.raises(BpmnValidationError):
        diff_decisions(b'<!DOCTYPE x [<!ENTITY a "b">]><definitions/>', _xml(), "grading")
