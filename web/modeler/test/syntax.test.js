// node --test web/modeler/test/  (run by tests/test_browser_modeler.py)
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DECISION_BINDINGS, DECISION_MAPPINGS, RULE_ENTRIES, classifyTime, decisionOptions, decisionVersions, elementIdAtLine,
  entryErrors, fill, parseLadder, partitionProblems, problemsByElement, splitList, timeProblem, toggleInList
} from '../syntax.js';

test('working days, durations, dates, cycles and expressions are told apart', () => {
  assert.deepEqual(classifyTime('P15WD'), { kind: 'workdays', workdays: 15 });
  assert.deepEqual(classifyTime(' p2wdt4h '), { kind: 'workdays', workdays: 2 });
  assert.equal(classifyTime('P3D').kind, 'duration');
  assert.equal(classifyTime('PT4H').kind, 'duration');
  assert.equal(classifyTime('2026-12-01T09:00:00+08:00').kind, 'datetime');
  assert.equal(classifyTime('R3/P1D').kind, 'cycle');
  assert.equal(classifyTime('${feedback_deadline}').kind, 'expression');
  assert.equal(classifyTime('feedback_deadline').kind, 'python');
  assert.equal(classifyTime('').kind, 'empty');
  assert.equal(classifyTime('P15DW').kind, 'invalid');
  assert.equal(classifyTime('P').kind, 'python');
});

test('only text meant as a literal but malformed is refused', () => {
  assert.equal(timeProblem('P15WD'), null);
  assert.equal(timeProblem('${x}'), null);
  assert.equal(timeProblem('workdays_after(3)'), null);
  assert.match(timeProblem('P15DW'), /P15WD/);
  assert.match(timeProblem('${ }'), /empty/);
});

test('the escalation ladder is parsed like engine/ladder.py', () => {
  assert.equal(parseLadder('reminder@80%; overdue@due; leader@due+P3WD').problem, null);
  assert.equal(parseLadder('reminder@80%; overdue@due; leader@due+P3WD').rungs.length, 3);
  assert.equal(parseLadder('').rungs.length, 0);
  assert.equal(parseLadder('unclaimed@created+PT4H').rungs[0].anchor, 'created');
  assert.equal(parseLadder('boss@due').problem.rung, 'boss');
  assert.equal(parseLadder('reminder at 80%').problem.rung, 'reminder at 80%');
  assert.ok(parseLadder('leader@due+P3XD').problem);
  assert.ok(parseLadder('reminder@150%').problem);
});

test('candidate groups are toggled keeping expressions and order', () => {
  assert.deepEqual(splitList(' office, ${responsible_unit} ,,market'), ['office', '${responsible_unit}', 'market']);
  assert.equal(toggleInList('${responsible_unit}', 'office', true), '${responsible_unit},office');
  assert.equal(toggleInList('office,market', 'office', false), 'market');
  assert.equal(toggleInList('office', 'office', false), undefined);
  assert.equal(toggleInList(undefined, 'police', true), 'police');
  assert.equal(toggleInList('police', 'police', true), 'police');
});

test('problems are split by severity and located by line', () => {
  const { errors, warnings, notes } = partitionProblems([
    { message: 'a', severity: 'error' }, { message: 'b', severity: 'warning' }, { message: 'c' },
    { message: 'd', severity: 'info' }
  ]);
  assert.deepEqual(errors.map(p => p.message), ['a', 'c']);
  assert.deepEqual(warnings.map(p => p.message), ['b']);
  assert.deepEqual(notes.map(p => p.message), ['d']);
  const xml = [
    '<bpmn:definitions id="defs">',
    '  <bpmn:process id="p" isExecutable="true">',
    '    <bpmn:userTask id="task_a" name="A"',
    '        camunda:dueDate="P3X">',
    '    </bpmn:userTask>'
  ].join('\n');
  assert.equal(elementIdAtLine(xml, 4), 'task_a');
  assert.equal(elementIdAtLine(xml, 2), 'p');
  assert.equal(elementIdAtLine(xml, 1), null);
  assert.equal(elementIdAtLine(xml, null), null);
});

test('placeholders are filled, unknown ones and ${...} kept', () => {
  assert.equal(fill('{process} version {version}', { process: 'lead_handling', version: 2 }), 'lead_handling version 2');
  assert.equal(fill('or ${feedback_deadline}', { n: 1 }), 'or ${feedback_deadline}');
});

test('lint problems go to the properties panel entry their rule is about', () => {
  const problems = [
    { element_id: 'svc', rule: 'java-implementation', severity: 'error', message: 'Java' },
    { element_id: 'svc', rule: 'no-implementation', severity: 'error', message: 'second, same entry' },
    { element_id: 'svc', rule: 'unreachable', severity: 'error', message: 'no entry' },
    { element_id: 'call', rule: 'call-not-deployed', severity: 'warning', message: 'not deployed' },
    { element_id: 'wait', rule: 'message-external', severity: 'info', message: 'note' },
    { element_id: 'svc', rule: null, severity: 'error', message: 'loader' }
  ];
  assert.deepEqual(entryErrors(problems, 'svc'), { implementationType: 'Java' });
  assert.deepEqual(entryErrors(problems, 'call'), { calledElement: 'not deployed' });
  assert.deepEqual(entryErrors(problems, 'wait'), {});
  const byElement = problemsByElement(problems);
  assert.deepEqual(byElement.get('svc').map(p => p.message), ['Java', 'second, same entry', 'no entry', 'loader']);
  assert.equal(byElement.get('nothing'), undefined);
});

test('the decision rules of lint go to the business rule task entries they are about', () => {
  const problems = [
    { element_id: 'grade', rule: 'decision-not-deployed', severity: 'warning', message: 'not deployed' },
    { element_id: 'grade', rule: 'decision-version-not-deployed', severity: 'warning', message: 'no version 3' },
    { element_id: 'grade', rule: 'decision-no-result', severity: 'warning', message: 'dropped' },
    { element_id: 'grade', rule: 'decision-mapping', severity: 'error', message: 'resultMap' },
    { element_id: 'bound', rule: 'decision-deployment-binding', severity: 'warning', message: 'API only' },
    { element_id: 'empty', rule: 'decision-missing', severity: 'error', message: 'no decision' }
  ];
  assert.deepEqual(entryErrors(problems, 'grade'), {
    decisionRef: 'not deployed', decisionRefVersion: 'no version 3', decisionRefResultVariable: 'dropped',
    mapDecisionResult: 'resultMap'
  });
  assert.deepEqual(entryErrors(problems, 'bound'), { decisionRefBinding: 'API only' });
  assert.deepEqual(entryErrors(problems, 'empty'), { implementationType: 'no decision' });
  for (const rule of ['decision-binding', 'decision-version', 'decision-expression']) {
    assert.ok(RULE_ENTRIES[rule], rule);
  }
  assert.equal(RULE_ENTRIES['decision-table'], undefined);  // decision tables run now
});

test('deployed decisions are offered by name, with the key where names repeat', () => {
  const decisions = [
    { key: 'risk_grading', name: '风险等级研判', versions: [3, 1, 2] },
    { key: 'card_deduction', name: '扣分', versions: [1] },
    { key: 'card_deduction_2027', name: '扣分', versions: [1] },
    { key: 'no_name', name: '', versions: [1] }
  ];
  assert.deepEqual(decisionOptions(decisions), [
    { value: 'risk_grading', label: '风险等级研判' },
    { value: 'card_deduction', label: '扣分 (card_deduction)' },
    { value: 'card_deduction_2027', label: '扣分 (card_deduction_2027)' },
    { value: 'no_name', label: 'no_name' }
  ]);
  assert.deepEqual(decisionOptions(undefined), []);
  assert.deepEqual(decisionVersions(decisions, 'risk_grading'), [1, 2, 3]);
  assert.deepEqual(decisions[0].versions, [3, 1, 2]);  // not sorted in place
  assert.deepEqual(decisionVersions(decisions, 'unknown'), []);
  assert.deepEqual(DECISION_BINDINGS, ['latest', 'deployment', 'version']);  // as engine/bpmn/task_parsers.py
  assert.deepEqual(DECISION_MAPPINGS, ['resultList', 'singleResult', 'singleEntry', 'collectEntries']);
});
