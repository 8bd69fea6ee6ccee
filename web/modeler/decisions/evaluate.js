// The evaluate panel's pure part: which fields the table's input columns need, and the variables
// typed into them (node --test web/modeler/test/). The server (POST /admin/api/decisions/evaluate)
// evaluates; these only turn text into the JSON values a case's data would hold.

const PATH = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;
const WHOLE_NUMBER_TYPES = new Set(['integer', 'long']);
const NUMBER_TYPES = new Set(['integer', 'long', 'double', 'number']);

/** `"a","b"` (an input column's allowed values) -> ['a', 'b']; null when not a list of texts. */
export function parseAllowedValues(text) {
  const source = (text || '').trim();
  if (!source) {
    return null;
  }
  const values = [];
  const item = /\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < source.length) {
    item.lastIndex = at;
    const match = item.exec(source);
    if (!match) {
      return null;
    }
    values.push(match[1].replace(/\\(.)/g, '$1'));
    at = item.lastIndex;
    if (!match[2]) {
      break;
    }
  }
  return values.length ? values : null;
}

/** What kind of field a typeRef asks for: integer, number, boolean, date, string or any. */
export function fieldKind(typeRef) {
  const type = (typeRef || '').trim();
  if (WHOLE_NUMBER_TYPES.has(type)) {
    return 'integer';
  }
  if (NUMBER_TYPES.has(type)) {
    return 'number';
  }
  if (type === 'boolean') {
    return 'boolean';
  }
  if (type === 'date' || type === 'dateTime') {
    return 'date';
  }
  return type === 'string' ? 'string' : 'any';
}

/**
 * One field per input column (from problems.js' describeTable): its label, the variable it sets
 * (the column's expression when it is a name or a dotted path; null for other expressions, which
 * read the extra variables), its kind and, for text with allowed values, the options.
 */
export function inputFields(model) {
  return model.inputs.map(input => {
    const kind = fieldKind(input.typeRef);
    return {
      id: input.id,
      label: input.label,
      expression: input.expression,
      variable: PATH.test(input.expression) ? input.expression : null,
      typeRef: input.typeRef,
      kind,
      options: kind === 'string' || kind === 'any' ? parseAllowedValues(input.values) : null
    };
  });
}

/**
 * The value typed for a field: {value} or {error} (an English message key, translated by the
 * page). Empty is null: the variable is there, with no value (FEEL's null).
 */
export function readValue(text, kind) {
  const source = text === undefined || text === null ? '' : String(text).trim();
  if (source === '') {
    return { value: null };
  }
  switch (kind) {
  case 'integer':
    return /^[+-]?\d+$/.test(source) ? { value: Number(source) } : { error: 'Enter a whole number.' };
  case 'number': {
    const number = Number(source.replace(/,/g, ''));
    return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(source.replace(/,/g, '')) && Number.isFinite(number)
      ? { value: number } : { error: 'Enter a number.' };
  }
  case 'boolean':
    if (source === 'true' || source === 'false') {
      return { value: source === 'true' };
    }
    return { error: 'Choose yes or no.' };
  case 'date':
    return /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$/.test(source)
      ? { value: source } : { error: 'Enter a date as 2026-01-31.' };
  case 'any':
    // No type on the column: a number or true/false as such, anything else as text.
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(source)) {
      return { value: Number(source) };
    }
    if (source === 'true' || source === 'false') {
      return { value: source === 'true' };
    }
    return { value: source };
  default:
    return { value: String(text) };
  }
}

function setPath(target, path, value) {
  const parts = path.split('.');
  let node = target;
  parts.slice(0, -1).forEach(part => {
    if (node[part] === null || typeof node[part] !== 'object' || Array.isArray(node[part])) {
      node[part] = {};
    }
    node = node[part];
  });
  node[parts[parts.length - 1]] = value;
}

/**
 * The variables to evaluate with: `extra` (an object, or JSON text of one) with each field's
 * value set at its variable's path. Returns {variables, errors: [{id, error}]}.
 */
export function buildVariables(fields, texts, extra) {
  const errors = [];
  let variables = {};
  if (typeof extra === 'string' && extra.trim()) {
    try {
      const parsed = JSON.parse(extra);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        errors.push({ id: 'extra', error: 'The other variables must be a JSON object, e.g. {"amount": 10}.' });
      } else {
        variables = parsed;
      }
    } catch (err) {
      errors.push({ id: 'extra', error: 'The other variables must be a JSON object, e.g. {"amount": 10}.' });
    }
  } else if (extra && typeof extra === 'object') {
    variables = JSON.parse(JSON.stringify(extra));
  }
  for (const field of fields) {
    if (!field.variable) {
      continue;
    }
    const read = readValue(texts[field.id], field.kind);
    if (read.error) {
      errors.push({ id: field.id, error: read.error });
    } else {
      setPath(variables, field.variable, read.value);
    }
  }
  return { variables, errors };
}

/** A result value as the panel shows it: text in quotes, as the table writes it. */
export function showValue(value) {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
