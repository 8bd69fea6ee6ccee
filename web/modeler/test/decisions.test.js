// node --test web/modeler/test/  (npm run test:modeler; tests/test_browser_modeler.py runs it too)
// The decision table editor's pure parts: where problems and matched rules show, and the evaluate panel.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildVariables, fieldKind, inputFields, parseAllowedValues, readValue, showValue } from '../decisions/evaluate.js';
import {
  cssString, describeTable, locateProblem, markStyles, problemMarks, selectorsFor, splitProblems
} from '../decisions/problems.js';

// As dmn-moddle reads the shipped grading table (two of its four inputs, two rules).
const DECISION = {
  id: 'risk_grading',
  name: '风险等级研判',
  decisionLogic: {
    id: 'risk_grading_table',
    hitPolicy: 'FIRST',
    input: [
      { id: 'input_people', label: '涉众规模（人）', inputExpression: { text: 'people_involved', typeRef: 'integer' } },
      { id: 'input_heat', label: '舆论热度', inputExpression: { text: 'opinion_heat', typeRef: 'string' },
        inputValues: { text: '"none","low","medium","high"' } }
    ],
    output: [{ id: 'output_grade', label: '风险等级', name: 'grade', typeRef: 'string' }],
    rule: [
      { id: 'rule_1', description: '涉众规模大：红色', inputEntry: [{ id: 'rule_1_in_1', text: '>= 100' }, { id: 'rule_1_in_2', text: '-' }],
        outputEntry: [{ id: 'rule_1_out', text: '"red"' }] },
      { id: 'rule_2', inputEntry: [{ id: 'rule_2_in_1', text: '-' }, { id: 'rule_2_in_2', text: '"high"' }],
        outputEntry: [{ id: 'rule_2_out', text: '"orange"' }] }
    ]
  }
};

test('the table is described with rows numbered as the editor shows them', () => {
  const model = describeTable(DECISION);
  assert.equal(model.tableId, 'risk_grading_table');
  assert.equal(model.hitPolicy, 'FIRST');
  assert.deepEqual(model.inputs.map(i => [i.id, i.label, i.expression, i.typeRef]), [
    ['input_people', '涉众规模（人）', 'people_involved', 'integer'], ['input_heat', '舆论热度', 'opinion_heat', 'string']]);
  assert.deepEqual(model.rules.map(r => [r.id, r.row]), [['rule_1', 1], ['rule_2', 2]]);
  assert.deepEqual(model.rules[0].cells.map(c => c.columnId), ['input_people', 'input_heat', 'output_grade']);
  assert.deepEqual(describeTable(null).rules, []);
});

test('a problem is placed on its cell, rule, column or the table', () => {
  const model = describeTable(DECISION);
  assert.deepEqual(locateProblem({ element_id: 'rule_2_in_2' }, model), {
    kind: 'cell', elementId: 'rule_2_in_2', ruleId: 'rule_2', row: 2, description: '', columnId: 'input_heat', column: '舆论热度' });
  assert.equal(locateProblem({ element_id: 'rule_1_out' }, model).column, '风险等级');
  assert.deepEqual(locateProblem({ element_id: 'rule_1' }, model),
    { kind: 'rule', elementId: 'rule_1', ruleId: 'rule_1', row: 1, description: '涉众规模大：红色' });
  assert.deepEqual(locateProblem({ element_id: 'output_grade' }, model),
    { kind: 'column', elementId: 'output_grade', columnId: 'output_grade', column: '风险等级' });
  assert.equal(locateProblem({ element_id: 'risk_grading_table' }, model).kind, 'table');
  assert.equal(locateProblem({ element_id: 'risk_grading' }, model).kind, 'table');
  assert.equal(locateProblem({ element_id: 'somewhere_else' }, model).kind, 'none');
  assert.equal(locateProblem({ element_id: null }, model).kind, 'none');
});

test('cells, rows and column heads are found by the attributes dmn-js renders', () => {
  assert.deepEqual(selectorsFor({ kind: 'cell', elementId: 'rule_1_in_1' }), ['td[data-element-id="rule_1_in_1"]']);
  assert.deepEqual(selectorsFor({ kind: 'rule', ruleId: 'rule_1' }),
    ['td[data-row-id="rule_1"]', 'td[data-element-id="rule_1"]']);
  assert.deepEqual(selectorsFor({ kind: 'column', columnId: 'input_heat' }), ['th[data-col-id="input_heat"]']);
  assert.deepEqual(selectorsFor({ kind: 'none' }), []);
  assert.equal(cssString('a"b\\c'), '"a\\"b\\\\c"');
});

test('an error wins over a warning on the same element, and every message stays for the tooltip', () => {
  const model = describeTable(DECISION);
  const marks = problemMarks([
    { element_id: 'rule_2', severity: 'warning', message: 'overlaps rule 1' },
    { element_id: 'rule_1_in_1', severity: 'error', message: 'rule 1, input "涉众规模": cannot read', detail: 'cannot read' },
    { element_id: 'rule_2', severity: 'error', message: 'too many cells' },
    { element_id: 'nowhere', severity: 'error', message: 'listed only' }
  ], model);
  assert.deepEqual(marks.map(m => [m.kind, m.elementId, m.severity]), [['rule', 'rule_2', 'error'], ['cell', 'rule_1_in_1', 'error']]);
  assert.deepEqual(marks[0].messages, ['overlaps rule 1', 'too many cells']);
  assert.deepEqual(marks[1].messages, ['cannot read']);  // on its cell, without the place
  const css = markStyles(marks, ['rule_1'], '#canvas');
  assert.match(css, /#canvas td\[data-row-id="rule_1"\] \{ background-color: var\(--duban-matched-bg/);
  assert.match(css, /#canvas td\[data-element-id="rule_1_in_1"\] \{ background-color: var\(--duban-error-bg, #f8d7da\) !important; box-shadow/);
  assert.equal(markStyles([], []), '');
  assert.deepEqual(splitProblems([{ severity: 'warning' }, { severity: 'error' }, {}]).warnings.length, 1);
});

test('allowed values are read from the column and offered for text inputs', () => {
  assert.deepEqual(parseAllowedValues('"none","low", "medium" ,"high"'), ['none', 'low', 'medium', 'high']);
  assert.deepEqual(parseAllowedValues('"a \\"quoted\\"","b,c"'), ['a "quoted"', 'b,c']);
  assert.equal(parseAllowedValues(''), null);
  assert.equal(parseAllowedValues('1, 2'), null);
  const fields = inputFields(describeTable(DECISION));
  assert.deepEqual(fields.map(f => [f.id, f.label, f.variable, f.kind, f.options]), [
    ['input_people', '涉众规模（人）', 'people_involved', 'integer', null],
    ['input_heat', '舆论热度', 'opinion_heat', 'string', ['none', 'low', 'medium', 'high']]]);
});

test('typed values follow the column type; empty is null', () => {
  assert.equal(fieldKind('long'), 'integer');
  assert.equal(fieldKind('double'), 'number');
  assert.equal(fieldKind(''), 'any');
  assert.deepEqual(readValue('120', 'integer'), { value: 120 });
  assert.deepEqual(readValue('12.5', 'integer'), { error: 'Enter a whole number.' });
  assert.deepEqual(readValue('1,200,000.5', 'number'), { value: 1200000.5 });
  assert.deepEqual(readValue('abc', 'number'), { error: 'Enter a number.' });
  assert.deepEqual(readValue('true', 'boolean'), { value: true });
  assert.deepEqual(readValue('2026-01-31', 'date'), { value: '2026-01-31' });
  assert.deepEqual(readValue('31/01/2026', 'date'), { error: 'Enter a date as 2026-01-31.' });
  assert.deepEqual(readValue(' high ', 'string'), { value: ' high ' });
  assert.deepEqual(readValue('', 'integer'), { value: null });
  assert.deepEqual(readValue('42', 'any'), { value: 42 });
  assert.deepEqual(readValue('red', 'any'), { value: 'red' });
});

test('variables are set at their paths over the other variables; mistakes are named by field', () => {
  const fields = [
    { id: 'a', variable: 'people_involved', kind: 'integer' },
    { id: 'b', variable: 'lead.heat', kind: 'string' },
    { id: 'c', variable: null, kind: 'number' }
  ];
  assert.deepEqual(buildVariables(fields, { a: '120', b: 'high', c: 'ignored' }, '{"lead": {"id": 7}, "x": 1}'),
    { variables: { lead: { id: 7, heat: 'high' }, x: 1, people_involved: 120 }, errors: [] });
  assert.deepEqual(buildVariables(fields, { a: 'many', b: '' }, '[1]').errors, [
    { id: 'extra', error: 'The other variables must be a JSON object, e.g. {"amount": 10}.' },
    { id: 'a', error: 'Enter a whole number.' }]);
  assert.deepEqual(buildVariables(fields, {}, '').variables, { people_involved: null, lead: { heat: null } });
});

test('results show as the table writes them', () => {
  assert.equal(showValue('red'), '"red"');
  assert.equal(showValue(3), '3');
  assert.equal(showValue(null), 'null');
  assert.equal(showValue({ a: 1 }), '{"a":1}');
});
