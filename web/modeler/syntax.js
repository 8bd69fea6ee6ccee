// What the engine accepts in the attributes the modeler edits, checked in the browser so a
// mistake shows beside the field; the server's validation (engine/bpmn) stays the authority.
// The patterns mirror engine/bpmn/parser.py and engine/ladder.py.

const ISO_DURATION = 'P(?=\\d|T\\d)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+(\\.\\d+)?D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?';
const WORKING_DURATION = 'P(?=\\d)(\\d+)WD(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?';
const ISO_DATETIME = '\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?)?';
const ISO_CYCLE = `R\\d*/((${ISO_DATETIME})/)?(${ISO_DURATION})(/(${ISO_DATETIME}))?`;

const RE_DURATION = new RegExp(`^${ISO_DURATION}$`, 'i');
const RE_WORKING = new RegExp(`^${WORKING_DURATION}$`, 'i');
const RE_DATETIME = new RegExp(`^${ISO_DATETIME}$`, 'i');
const RE_CYCLE = new RegExp(`^${ISO_CYCLE}$`, 'i');

export const DEFAULT_LADDER = 'reminder@80%; overdue@due; leader@due+P3WD; accountability@due+P5WD';
export const RUNG_ACTIONS = ['reminder', 'unclaimed', 'overdue', 'escalate', 'leader', 'accountability'];
const RE_RUNG = /^([a-z_]+)@(?:(\d{1,3})%|(due|created)(?:\+(P[0-9A-Z.]+))?)$/i;

/**
 * What kind of time text this is: `workdays` (P15WD, P2WDT4H), `duration` (P3D, PT4H),
 * `datetime`, `cycle` (R3/P1D), `expression` (${...}), `python` (anything else, evaluated
 * by the engine), `invalid` (looks like an ISO value but is not one) or `empty`.
 * @returns {{kind: string, workdays?: number}}
 */
export function classifyTime(text) {
  const value = (text || '').trim();
  if (!value) {
    return { kind: 'empty' };
  }
  const working = RE_WORKING.exec(value);
  if (working) {
    return { kind: 'workdays', workdays: Number(working[1]) };
  }
  if (RE_DURATION.test(value)) {
    return { kind: 'duration' };
  }
  if (RE_DATETIME.test(value)) {
    return { kind: 'datetime' };
  }
  if (RE_CYCLE.test(value)) {
    return { kind: 'cycle' };
  }
  if (/^\$\{[\s\S]*\}$/.test(value)) {
    return { kind: 'expression' };
  }
  // P15DW, P1.5WD, 2026-13-1 ...: meant as a literal, not a Python name.
  if (/^(P\d|PT\d|R\d*\/|\d{4}-)/i.test(value)) {
    return { kind: 'invalid' };
  }
  return { kind: 'python' };
}

/** A message key when `text` cannot be a due date or timer value, else null. */
export function timeProblem(text) {
  const { kind } = classifyTime(text);
  if (kind === 'invalid') {
    return 'Not a valid duration or date: write P15WD (15 working days), P3D, PT4H, 2026-12-01T09:00:00+08:00 or ${variable}.';
  }
  if (kind === 'expression' && !/^\$\{\s*\S[\s\S]*\}$/.test(text.trim())) {
    return 'The expression ${...} is empty.';
  }
  return null;
}

/** Parse an escalation ladder; returns {rungs, problem} with problem a message (English) or null. */
export function parseLadder(text) {
  const rungs = [];
  for (const part of (text || '').split(';').map(p => p.trim()).filter(Boolean)) {
    const match = RE_RUNG.exec(part);
    if (!match) {
      return { rungs, problem: { key: 'Rung "{rung}" is not of the form name@80%, name@due+P3WD or name@created+PT4H.', rung: part } };
    }
    const name = match[1].toLowerCase();
    if (!RUNG_ACTIONS.includes(name)) {
      return { rungs, problem: { key: 'Unknown rung "{rung}"; use one of {actions}.', rung: name, actions: RUNG_ACTIONS.join(', ') } };
    }
    const offset = match[4];
    if (offset && !(RE_DURATION.test(offset) || RE_WORKING.test(offset))) {
      return { rungs, problem: { key: 'Rung "{rung}" has an invalid duration.', rung: part } };
    }
    if (match[2] !== undefined && Number(match[2]) > 100) {
      return { rungs, problem: { key: 'Rung "{rung}" has a percentage over 100.', rung: part } };
    }
    rungs.push({ name, anchor: match[2] !== undefined ? 'percent' : match[3].toLowerCase(), percent: match[2] && Number(match[2]), offset });
  }
  return { rungs, problem: null };
}

// -- candidate groups --------------------------------------------------------

/** `a, b ,c` -> ['a', 'b', 'c'] (as engine/bpmn/parser.py splits camunda:candidateGroups). */
export function splitList(text) {
  return (text || '').split(',').map(part => part.trim()).filter(Boolean);
}

/** The attribute value with `code` switched on or off, other entries (expressions too) kept in order. */
export function toggleInList(text, code, on) {
  const items = splitList(text);
  const present = items.includes(code);
  if (on && !present) {
    items.push(code);
  } else if (!on && present) {
    items.splice(items.indexOf(code), 1);
  }
  return items.length ? items.join(',') : undefined;
}

// -- decisions (business rule tasks) --------------------------------------------

/** As engine/bpmn/task_parsers.py reads camunda:decisionRefBinding and camunda:mapDecisionResult. */
export const DECISION_BINDINGS = ['latest', 'deployment', 'version'];
export const DECISION_MAPPINGS = ['resultList', 'singleResult', 'singleEntry', 'collectEntries'];

/**
 * The deployed decisions ({key, name, versions}) as picker options: the name, and the key too where
 * two decisions share a name (else they could not be told apart in a select).
 */
export function decisionOptions(decisions) {
  const counts = new Map();
  for (const decision of decisions || []) {
    const name = decision.name || decision.key;
    counts.set(name, (counts.get(name) || 0) + 1);
  }
  return (decisions || []).map(decision => {
    const name = decision.name || decision.key;
    return { value: decision.key, label: counts.get(name) > 1 ? `${name} (${decision.key})` : name };
  });
}

/** The deployed versions of decision `key`, oldest first (empty when it is not deployed). */
export function decisionVersions(decisions, key) {
  const decision = (decisions || []).find(item => item.key === key);
  return decision ? [...decision.versions].sort((a, b) => a - b) : [];
}

// -- problems ----------------------------------------------------------------

/**
 * Split the server's problems into errors, warnings and notes (severity "info": said, never
 * blocking a deploy); anything else is an error.
 */
export function partitionProblems(problems) {
  const errors = [];
  const warnings = [];
  const notes = [];
  for (const problem of problems || []) {
    if (problem.severity === 'warning') {
      warnings.push(problem);
    } else if (problem.severity === 'info') {
      notes.push(problem);
    } else {
      errors.push(problem);
    }
  }
  return { errors, warnings, notes };
}

// The properties panel entry a lint rule (engine/lint.py MESSAGES) is about: the problem shows
// under that field while its element is selected.
export const RULE_ENTRIES = {
  'java-implementation': 'implementationType',
  'connector': 'implementationType',
  'no-implementation': 'implementationType',
  'unknown-type': 'implementationType',
  'send-no-message': 'implementationType',
  'decision-missing': 'implementationType',
  'decision-expression': 'decisionRef',
  'decision-not-deployed': 'decisionRef',
  'decision-binding': 'decisionRefBinding',
  'decision-deployment-binding': 'decisionRefBinding',
  'decision-version': 'decisionRefVersion',
  'decision-version-not-deployed': 'decisionRefVersion',
  'decision-no-result': 'decisionRefResultVariable',
  'decision-mapping': 'mapDecisionResult',
  'external-topic': 'externalTopic',
  'script-format': 'scriptFormat',
  'script-resource': 'scriptType',
  'call-no-process': 'calledElement',
  'call-not-deployed': 'calledElement',
  'call-case': 'calledElementType',
  'call-binding': 'calledElementBinding',
  'call-deployment-binding': 'calledElementBinding',
  'call-version': 'calledElementVersion',
  'call-version-not-deployed': 'calledElementVersion',
  'message-ref': 'messageRef',
  'message-unknown': 'messageRef',
  'message-name': 'messageName',
  'signal-ref': 'signalRef',
  'signal-unknown': 'signalRef',
  'signal-name': 'signalName',
  'user-task-candidates': 'candidateGroups',
  'unknown-group': 'candidateGroups',
  'user-task-due': 'dueDate',
  'user-task-name': 'name'
};

/** {entryId: message} for the errors and warnings of `elementId` whose rule names an entry (the first wins). */
export function entryErrors(problems, elementId) {
  const errors = {};
  for (const problem of problems || []) {
    const entry = RULE_ENTRIES[problem.rule];
    if (entry && problem.element_id === elementId && problem.severity !== 'info' && !(entry in errors)) {
      errors[entry] = problem.message;
    }
  }
  return errors;
}

/** The problems by element id (in the server's order: errors first). */
export function problemsByElement(problems) {
  const byElement = new Map();
  for (const problem of problems || []) {
    if (problem.element_id) {
      if (!byElement.has(problem.element_id)) {
        byElement.set(problem.element_id, []);
      }
      byElement.get(problem.element_id).push(problem);
    }
  }
  return byElement;
}

/**
 * The id of the element whose XML starts at or most recently before `line` (1-based) in `xml`,
 * for problems that name a line but no element (XML schema errors).
 */
export function elementIdAtLine(xml, line) {
  if (!xml || !line) {
    return null;
  }
  const lines = xml.split(/\r?\n/);
  for (let index = Math.min(line, lines.length) - 1; index >= 0; index--) {
    const text = lines[index];
    const match = /(?:^|\s)id="([^"]+)"/.exec(text);
    if (match && !/<([\w-]+:)?definitions\b/.test(text)) {
      return match[1];
    }
  }
  return null;
}

/** `template` with {name} placeholders filled from `values`. */
export function fill(template, values) {
  return String(template).replace(/\{([^}]+)\}/g, (whole, key) => (values && key in values ? String(values[key]) : whole));
}
