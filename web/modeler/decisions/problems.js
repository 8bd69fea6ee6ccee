// Where the engine's problems and the evaluated rules show on the dmn-js decision table: pure
// functions over a plain description of the table (node --test web/modeler/test/).
//
// The engine names a problem's element by id (engine.dmn.loader): a cell's inputEntry/outputEntry,
// a rule, an input or output column, or the decision table. dmn-js renders a rule's cells as
// <td data-element-id="{entry id}" data-row-id="{rule id}" data-col-id="{column id}">, the rule's
// number cell and its annotation with data-element-id / data-row-id = the rule id, and the head's
// column cells as <th data-col-id="{column id}">.

const SEVERITY_RANK = { error: 2, warning: 1 };

/**
 * The decision table of a dmn-moddle decision as plain data: its columns, and its rules with
 * their row numbers (1-based, as the editor shows them) and cells.
 */
export function describeTable(decision) {
  const table = (decision && decision.decisionLogic) || {};
  const inputs = (table.input || []).map(input => ({
    id: input.id,
    label: input.label || (input.inputExpression && input.inputExpression.text) || input.id,
    expression: ((input.inputExpression && input.inputExpression.text) || '').trim(),
    typeRef: (input.inputExpression && input.inputExpression.typeRef) || '',
    values: (input.inputValues && input.inputValues.text) || ''
  }));
  const outputs = (table.output || []).map(output => ({
    id: output.id,
    label: output.label || output.name || output.id,
    name: output.name || '',
    typeRef: output.typeRef || '',
    values: (output.outputValues && output.outputValues.text) || ''
  }));
  const rules = (table.rule || []).map((rule, index) => ({
    id: rule.id,
    row: index + 1,
    description: rule.description || '',
    cells: [
      ...(rule.inputEntry || []).map((entry, column) => ({ id: entry.id, columnId: inputs[column] && inputs[column].id })),
      ...(rule.outputEntry || []).map((entry, column) => ({ id: entry.id, columnId: outputs[column] && outputs[column].id }))
    ]
  }));
  return {
    decisionId: decision ? decision.id : null,
    decisionName: decision ? decision.name || decision.id : null,
    tableId: table.id || null,
    hitPolicy: table.hitPolicy || 'UNIQUE',
    inputs,
    outputs,
    rules
  };
}

function columnById(model, id) {
  return model.inputs.find(c => c.id === id) || model.outputs.find(c => c.id === id) || null;
}

/**
 * What a problem's element is in the table: {kind: cell | rule | column | table | none, ...}
 * with the row and column a person reads (cell: row, column; rule: row; column: column).
 */
export function locateProblem(problem, model) {
  const elementId = problem && problem.element_id;
  if (!elementId) {
    return { kind: 'none' };
  }
  for (const rule of model.rules) {
    if (rule.id === elementId) {
      return { kind: 'rule', elementId, ruleId: rule.id, row: rule.row, description: rule.description };
    }
    const cell = rule.cells.find(c => c.id === elementId);
    if (cell) {
      const column = columnById(model, cell.columnId);
      return {
        kind: 'cell', elementId, ruleId: rule.id, row: rule.row, description: rule.description,
        columnId: cell.columnId, column: column ? column.label : ''
      };
    }
  }
  const column = columnById(model, elementId);
  if (column) {
    return { kind: 'column', elementId, columnId: column.id, column: column.label };
  }
  if (elementId === model.tableId || elementId === model.decisionId) {
    return { kind: 'table', elementId };
  }
  return { kind: 'none', elementId };
}

/** A value for an attribute selector in double quotes. */
export function cssString(value) {
  return '"' + String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\a ') + '"';
}

/** The CSS selectors of what a located problem marks (the cell; the whole row; the column's head). */
export function selectorsFor(place) {
  switch (place.kind) {
  case 'cell':
    return [`td[data-element-id=${cssString(place.elementId)}]`];
  case 'rule':
    return [`td[data-row-id=${cssString(place.ruleId)}]`, `td[data-element-id=${cssString(place.ruleId)}]`];
  case 'column':
    return [`th[data-col-id=${cssString(place.columnId)}]`];
  case 'table':
    return ['.decision-table-properties'];
  default:
    return [];
  }
}

/**
 * What to mark: [{selectors, severity, messages}] per element, the worse severity winning
 * (an error over a warning) and every message kept for the tooltip.
 */
export function problemMarks(problems, model) {
  const byElement = new Map();
  for (const problem of problems || []) {
    const place = locateProblem(problem, model);
    const selectors = selectorsFor(place);
    if (!selectors.length) {
      continue;
    }
    const severity = problem.severity === 'warning' ? 'warning' : 'error';
    const key = place.kind + ':' + place.elementId;
    const mark = byElement.get(key) || { kind: place.kind, elementId: place.elementId, selectors, severity, messages: [] };
    if (SEVERITY_RANK[severity] > SEVERITY_RANK[mark.severity]) {
      mark.severity = severity;
    }
    // On its own cell a problem needs no "rule 2, input X:" in front (the server's `detail`).
    mark.messages.push(place.kind === 'cell' && problem.detail ? problem.detail : problem.message);
    byElement.set(key, mark);
  }
  // Cells after rows and columns: a cell's own mark (and tooltip) wins over its row's.
  const order = { table: 0, column: 1, rule: 2, cell: 3 };
  return [...byElement.values()].sort((a, b) => order[a.kind] - order[b.kind]);
}

/** The rows that matched an evaluation: selectors of their cells. */
export function matchedSelectors(ruleIds) {
  return (ruleIds || []).map(id => `td[data-row-id=${cssString(id)}]`);
}

/**
 * A style sheet for the marks, scoped to `scope` (the editor's container): it survives dmn-js
 * re-rendering a cell, which replaces the cell's own classes.
 */
export function markStyles(marks, matchedRuleIds, scope = '.duban-decisions') {
  const rules = [];
  const within = selectors => selectors.map(selector => `${scope} ${selector}`).join(',\n');
  const matched = matchedSelectors(matchedRuleIds);
  if (matched.length) {
    rules.push(`${within(matched)} { background-color: var(--duban-matched-bg, #d1e7dd) !important; }`);
  }
  for (const mark of marks) {
    const colour = mark.severity === 'error' ? 'var(--duban-error, #dc3545)' : 'var(--duban-warning, #e0a800)';
    const background = mark.severity === 'error' ? 'var(--duban-error-bg, #f8d7da)' : 'var(--duban-warning-bg, #fff3cd)';
    const cellLike = mark.kind === 'cell' || mark.kind === 'column' || mark.kind === 'table';
    rules.push(`${within(mark.selectors)} { background-color: ${background} !important;`
      + (cellLike ? ` box-shadow: inset 0 0 0 2px ${colour};` : '') + ' }');
  }
  return rules.join('\n');
}

/** Problems split by severity, keeping their order: {errors, warnings}. */
export function splitProblems(problems) {
  const errors = [], warnings = [];
  for (const problem of problems || []) {
    (problem.severity === 'warning' ? warnings : errors).push(problem);
  }
  return { errors, warnings };
}
