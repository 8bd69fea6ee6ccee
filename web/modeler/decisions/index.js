// The administrators' decision table editor (templates/admin/decision_editor.html): dmn-js opened
// straight on the decision table; new from the template, open a deployed version, upload and
// download .dmn files; the engine checks the table quietly a moment after each change (and on
// Validate, Ctrl+S) and its problems are marked on their cells, rows and columns; the evaluate
// panel runs the unsaved table on sample inputs and highlights the rules that matched; deploy
// makes a new version. Endpoints: web/admin_decisions.py. The toolbar, opening, downloading and the
// quiet check are shared with the process modeler (../shared/editor-page.js).
import './decisions.css';

import DmnModeler from 'dmn-js/lib/Modeler';

import { t } from '../messages.js';
import { EditorPage, startEditorPage } from '../shared/editor-page.js';
import { addVersionOption, chooseVersion } from '../shared/version-list.js';
import { fill } from '../syntax.js';
import { translateModule } from '../translate-zh.js';
import { createApi } from './api.js';
import { buildVariables, inputFields, showValue } from './evaluate.js';
import { describeTable, locateProblem, markStyles, problemMarks, splitProblems } from './problems.js';
import { DMN_ZH } from './translate-zh.js';

const AUTO_CHECK_MS = 800;  // a quiet check this long after the last change
const KEY_PATTERN = /^[A-Za-z_][\w.-]{0,199}$/;  // an XML id, as the decision's key is
// The engine's typeRefs (engine.dmn.feel), offered by the column's type menu, and FEEL only.
const DATA_TYPES = ['string', 'integer', 'long', 'double', 'boolean', 'date'];

function byId(id) {
  return document.getElementById(id);
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'className') {
      node.className = value;
    } else if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (value !== undefined && value !== null) {
      node.setAttribute(name, value);
    }
  }
  node.append(...children.filter(child => child !== null && child !== undefined));
  return node;
}

class DecisionEditorPage extends EditorPage {
  constructor(root) {
    super(root, { statusId: 'decisions-status', autoCheckMs: AUTO_CHECK_MS });
    const parse = (text, fallback) => {
      try {
        return JSON.parse(text || '') || fallback;
      } catch (err) {
        return fallback;
      }
    };
    this.urls = parse(root.dataset.urls, {});
    this.deployed = parse(root.dataset.deployed, []);
    this.api = createApi(this.urls);
    this.key = null;            // the decision shown (its id)
    this.problems = [];
    this.matchedRules = [];     // rule ids of the last evaluation (cleared by any change)
    this.marks = [];
    this.fieldValues = {};      // what was typed into the evaluate panel, by column id
    this.marksFrame = null;

    const common = {
      dataTypes: DATA_TYPES,
      expressionLanguages: { options: [{ value: 'feel', label: 'FEEL' }], defaults: { editor: 'feel' } }
    };
    // Modules go to each view's own options: dmn-js does not merge `common.additionalModules` into them.
    const modules = { additionalModules: (root.dataset.locale || 'zh').startsWith('zh') ? [translateModule(DMN_ZH)] : [] };
    this.modeler = new DmnModeler({
      container: byId('decision-canvas'), common,
      drd: modules, decisionTable: modules, literalExpression: modules, boxedExpression: modules
    });
    window.dubanDecisions = this.modeler;  // for tests and the browser console
    this.modeler.on('viewer.created', ({ viewer }) => {
      const eventBus = viewer.get('eventBus');
      eventBus.on('commandStack.changed', () => this.changed());
      eventBus.on('elements.changed', () => this.scheduleMarks());
    });
    // Another table of the file, or the DRD (and back from it): the panels follow the table shown.
    this.modeler.on('views.changed', () => {
      this.showViewChoice();
      if (this.root.dataset.state === 'ready') {
        this.renderEvaluateForm();
        this.showProblems(this.problems);
      }
    });
    this.styles = element('style', { id: 'decision-marks' });
    document.head.append(this.styles);
    // dmn-js re-renders cells on edits (and replaces them): put the marks' tooltips back then.
    this.observer = new MutationObserver(() => this.scheduleMarks());
    this.observer.observe(byId('decision-canvas'), { childList: true, subtree: true });
  }

  // -- what is open -----------------------------------------------------------------------------

  decisionName() {
    const decision = this.activeDecision();
    return (decision && (decision.name || decision.id)) || '';
  }

  showSource() {
    const source = byId('decision-source');
    const name = this.decisionName() || t('New decision table');
    if (this.version) {
      source.textContent = t('{name} version {version}', { name, version: this.version });
    } else if (this.fileName) {
      source.textContent = t('{name} from the file {file} (not deployed)', { name, file: this.fileName });
    } else {
      source.textContent = t('{name} (not deployed)', { name });
    }
    source.textContent += this.dirty ? ` · ${t('unsaved changes')}` : '';
    const keyField = byId('decision-key');
    if (document.activeElement !== keyField) {
      keyField.value = this.key || '';
    }
    keyField.disabled = !this.activeDecision();
    this.root.dataset.key = this.key || '';
    this.root.dataset.version = this.version || '';
  }

  // -- the decision shown -------------------------------------------------------------------------

  activeDecision() {
    const view = this.modeler.getActiveView();
    return view && view.type === 'decisionTable' ? view.element : null;
  }

  tableViews() {
    return this.modeler.getViews().filter(view => view.type === 'decisionTable');
  }

  model() {
    return describeTable(this.activeDecision());
  }

  /** With several decisions in the file: a choice of which table to show. */
  showViewChoice() {
    const select = byId('decision-choice');
    const views = this.tableViews();
    const active = this.activeDecision();
    select.replaceChildren(...views.map(view => element('option', { value: view.element.id },
      view.element.name || view.element.id)));
    if (active) {
      select.value = active.id;
      this.key = active.id;
    }
    byId('decision-choice-group').hidden = views.length < 2;
  }

  async showDecision(id) {
    const view = this.tableViews().find(candidate => candidate.element.id === id);
    if (view && view !== this.modeler.getActiveView()) {
      await this.modeler.open(view);
      this.key = id;
      this.matchedRules = [];
      this.clearEvaluation();
      this.renderEvaluateForm();
      this.showProblems(this.problems);
      this.showSource();
    }
  }

  /** A new key (the decision's id, what business rule tasks name), through dmn-js' modeling: undoable. */
  changeKey(value) {
    const key = value.trim();
    const decision = this.activeDecision();
    if (!decision || key === decision.id) {
      return;
    }
    if (!KEY_PATTERN.test(key)) {
      this.say(t('A key starts with a letter or _ and has only letters, digits, _, - and .'), 'warning');
      byId('decision-key').value = decision.id;
      return;
    }
    this.modeler.getActiveViewer().get('modeling').editDecisionTableId(key);
    this.say(t('The key is now {key}: deploying makes it a decision of its own.', { key }), 'info');
  }

  // -- changes and the quiet check -----------------------------------------------------------------

  changed() {
    this.dirty = true;
    this.revision += 1;
    const decision = this.activeDecision();
    this.key = decision ? decision.id : this.key;
    this.matchedRules = [];
    if (!byId('evaluate-result').hidden) {
      byId('evaluate-result').dataset.stale = 'yes';
    }
    byId('decision-problems').classList.toggle('stale', this.problems.length > 0);
    this.showSource();
    this.renderEvaluateForm();
    this.scheduleMarks();
    this.scheduleCheck();
  }

  // -- loading ---------------------------------------------------------------------------------------

  async importFile(xml, key) {
    const result = await this.modeler.importXML(xml, { open: false });
    const views = this.tableViews();
    const view = views.find(candidate => candidate.element.id === key) || views[0] || this.modeler.getViews()[0];
    if (!view) {
      throw new Error(t('The file has no decision table.'));
    }
    await this.modeler.open(view);
    return result;
  }

  showOpened(key) {
    const decision = this.activeDecision();
    this.key = decision ? decision.id : key;
    this.matchedRules = [];
    this.fieldValues = {};
    this.showViewChoice();
    this.showProblems([]);
    this.renderEvaluateForm();
    this.clearEvaluation();
  }

  templateMessage() {
    return t('New decision table from the template: name it, then add inputs, outputs and rules.');
  }

  versionMessage(key, version) {
    return t('Opened {name} version {version}.', { name: this.deployedName(key), version });
  }

  deployedName(key) {
    const entry = this.deployed.find(d => d.key === key);
    return (entry && entry.name) || key;
  }

  pageUrl(key, version) {
    return key ? `${fill(this.urls.editor, { key: encodeURIComponent(key) })}?version=${encodeURIComponent(version)}`
      : this.urls.new_editor;
  }

  downloadName() {
    return `${this.key || 'decision'}.dmn`;
  }

  // -- problems on the table ---------------------------------------------------------------------------

  /** Where a problem is, as people read the table: "rule 2, 涉众规模" / "rule 2" / "column 涉众规模". */
  placeText(place) {
    switch (place.kind) {
    case 'cell':
      return t('Rule {row}, {column}', { row: place.row, column: place.column });
    case 'rule':
      return t('Rule {row}', { row: place.row });
    case 'column':
      return t('Column {column}', { column: place.column });
    case 'table':
      return t('The table');
    default:
      return '';
    }
  }

  showProblems(problems) {
    this.problems = problems || [];
    const model = this.model();
    const { errors, warnings } = splitProblems(this.problems);
    const render = (list, items, severity) => {
      list.replaceChildren(...items.map(problem => {
        const place = locateProblem(problem, model);
        const item = element('li', { className: 'list-group-item problem', dataset: { severity } });
        if (problem.element_id) {
          item.dataset.elementId = problem.element_id;
        }
        const where = this.placeText(place);
        if (where && place.kind !== 'none') {
          const link = element('a', { href: '#', className: 'problem-place' }, where);
          link.addEventListener('click', event => {
            event.preventDefault();
            this.focus(place);
          });
          item.append(link, ' ');
        }
        const shown = place.kind === 'cell' && problem.detail ? problem.detail : problem.message;
        item.append(element('span', { className: 'problem-message', title: problem.message }, shown));
        if (problem.line) {
          item.append(element('small', { className: 'text-muted ms-1' }, t('(line {line})', { line: problem.line })));
        }
        return item;
      }));
    };
    render(byId('error-list'), errors, 'error');
    render(byId('warning-list'), warnings, 'warning');
    byId('errors-box').hidden = errors.length === 0;
    byId('warnings-box').hidden = warnings.length === 0;
    const panel = byId('decision-problems');
    panel.classList.remove('stale');
    panel.dataset.errors = String(errors.length);
    panel.dataset.warnings = String(warnings.length);
    byId('no-problems').hidden = this.problems.length > 0 || this.root.dataset.state !== 'ready';
    this.marks = problemMarks(this.problems, model);
    this.applyMarks();
    return { errors, warnings };
  }

  scheduleMarks() {
    if (this.marksFrame === null) {
      this.marksFrame = requestAnimationFrame(() => {
        this.marksFrame = null;
        this.applyMarks();
      });
    }
  }

  /** The style sheet, and on each marked element its severity and messages (as its tooltip). */
  applyMarks() {
    const container = byId('decision-canvas');
    this.styles.textContent = markStyles(this.marks, this.matchedRules);
    for (const marked of container.querySelectorAll('[data-duban-severity], [data-duban-matched]')) {
      marked.removeAttribute('data-duban-severity');
      marked.removeAttribute('data-duban-matched');
      if (marked.dataset.dubanTitle) {
        marked.removeAttribute('title');
        marked.removeAttribute('data-duban-title');
      }
    }
    for (const mark of this.marks) {
      for (const target of container.querySelectorAll(mark.selectors.join(','))) {
        target.dataset.dubanSeverity = mark.severity;
        if (!target.hasAttribute('title') || target.dataset.dubanTitle) {
          target.title = mark.messages.join('\n');
          target.dataset.dubanTitle = 'yes';
        }
      }
    }
    for (const ruleId of this.matchedRules) {
      for (const target of container.querySelectorAll(`td[data-row-id="${CSS.escape(ruleId)}"]`)) {
        target.dataset.dubanMatched = 'yes';
      }
    }
  }

  /** Scroll to a problem's cell (or row, column) and select it. */
  focus(place) {
    const container = byId('decision-canvas');
    const selector = place.kind === 'cell' ? `[data-element-id="${CSS.escape(place.elementId)}"]`
      : place.kind === 'rule' ? `td.rule-index[data-row-id="${CSS.escape(place.ruleId)}"]`
        : place.kind === 'column' ? `th[data-col-id="${CSS.escape(place.columnId)}"]` : '.decision-table-properties';
    const target = container.querySelector(selector);
    if (!target) {
      return;
    }
    target.scrollIntoView({ block: 'center', inline: 'center' });
    target.classList.add('duban-flash');
    setTimeout(() => target.classList.remove('duban-flash'), 1200);
    if (place.kind === 'cell') {
      try {
        this.modeler.getActiveViewer().get('selection').select(place.elementId);
      } catch (err) {
        // selecting is a convenience
      }
    }
  }

  async check(xml, options) {
    const result = await super.check(xml, options);
    this.root.dataset.checked = String(this.revision);  // Validate and Deploy check this revision too
    return result;
  }

  // -- evaluate ---------------------------------------------------------------------------------------------

  renderEvaluateForm() {
    const box = byId('evaluate-inputs');
    for (const input of box.querySelectorAll('[data-col-id]')) {
      this.fieldValues[input.dataset.colId] = input.value;
    }
    const fields = inputFields(this.model());
    const signature = JSON.stringify(fields);
    if (box.dataset.signature === signature) {
      return;  // nothing the form shows changed: keep it (and the focus in it)
    }
    box.dataset.signature = signature;
    box.replaceChildren(...fields.map((field, index) => {
      const id = `evaluate-input-${index}`;
      const value = this.fieldValues[field.id] || '';
      let control;
      if (field.kind === 'boolean' || field.options) {
        const options = field.kind === 'boolean'
          ? [['true', t('yes (true)')], ['false', t('no (false)')]]
          : field.options.map(option => [option, option]);
        control = element('select', { className: 'form-select form-select-sm', id },
          element('option', { value: '' }, t('— empty (null) —')),
          ...options.map(([optionValue, text]) => element('option', { value: optionValue }, text)));
      } else {
        const type = field.kind === 'date' ? 'date' : 'text';
        const inputmode = field.kind === 'integer' ? 'numeric' : field.kind === 'number' ? 'decimal' : null;
        control = element('input', { className: 'form-control form-control-sm', id, type, inputmode,
          placeholder: { string: t('text'), integer: t('whole number'), number: t('number') }[field.kind] || '' });
      }
      control.dataset.colId = field.id;
      control.value = value;
      control.disabled = !field.variable;
      control.setAttribute('aria-describedby', `${id}-hint`);
      const hint = field.variable
        ? t('variable {name}', { name: field.variable }) + (field.typeRef ? ` · ${field.typeRef}` : '')
        : t('the expression {expression} reads the other variables below', { expression: field.expression || '?' });
      return element('div', { className: 'col-sm-6 col-lg-4 evaluate-field', dataset: { colId: field.id } },
        element('label', { className: 'form-label small mb-0', for: id }, field.label),
        control,
        element('div', { className: 'form-text mt-0 small', id: `${id}-hint` }, hint),
        element('div', { className: 'invalid-feedback' }));
    }));
  }

  clearEvaluation() {
    const result = byId('evaluate-result');
    result.replaceChildren();
    result.hidden = true;
    delete result.dataset.state;
    delete result.dataset.matchedRows;
    delete result.dataset.stale;
  }

  evaluate() {
    return this.run(async () => {
      const model = this.model();
      const fields = inputFields(model);
      const texts = {};
      for (const control of byId('evaluate-inputs').querySelectorAll('[data-col-id]')) {
        texts[control.dataset.colId] = control.value;
        control.classList.remove('is-invalid');
      }
      byId('evaluate-extra').classList.remove('is-invalid');
      const { variables, errors } = buildVariables(fields, texts, byId('evaluate-extra').value);
      if (errors.length) {
        for (const { id, error } of errors) {
          const control = id === 'extra' ? byId('evaluate-extra')
            : byId('evaluate-inputs').querySelector(`[data-col-id="${CSS.escape(id)}"]`);
          if (control) {
            control.classList.add('is-invalid');
            const feedback = control.parentElement.querySelector('.invalid-feedback');
            if (feedback) {
              feedback.textContent = t(error);
            }
          }
        }
        this.say(t('Correct the marked inputs first.'), 'warning');
        return;
      }
      const revision = this.revision;
      const { status, body } = await this.api.evaluate(await this.xml(), this.key, variables);
      if (revision !== this.revision) {
        return;  // the table changed meanwhile: the answer is about an older one
      }
      this.clearEvaluation();
      const result = byId('evaluate-result');
      result.hidden = false;
      if (status === 422) {
        this.showProblems((body && body.problems) || []);
        result.dataset.state = 'problems';
        result.append(element('div', { className: 'alert alert-danger py-1 px-2 mb-0' },
          t('The table has errors: correct them to evaluate it.')));
        this.say(t('The table has errors: correct them to evaluate it.'), 'danger');
        return;
      }
      this.matchedRules = ((body && body.matched) || []).map(match => match.rule_id);
      this.showMatched(body, model);
      this.applyMarks();
    });
  }

  showMatched(body, model) {
    const result = byId('evaluate-result');
    const rows = (body.matched || []).map(match => match.row);
    result.dataset.matchedRows = rows.join(',');
    if (body.error) {
      result.dataset.state = 'failed';
      result.append(element('div', { className: 'alert alert-warning py-1 px-2 mb-1', id: 'evaluate-error' }, body.error));
      this.say(t('The table gives no result for these inputs.'), 'warning');
    } else {
      result.dataset.state = 'ok';
      const outputs = new Map(model.outputs.map(output => [output.name || output.id, output.label]));
      const results = body.results || [];
      const table = element('table', { className: 'table table-sm mb-1', id: 'evaluate-outputs' },
        element('tbody', {}, ...(results.length ? results.flatMap((values, index) => Object.entries(values).map(([name, value]) =>
          element('tr', { dataset: { output: name, result: String(index) } },
            element('th', { className: 'small fw-normal' }, outputs.get(name) || name),
            element('td', { className: 'font-monospace output-value' }, showValue(value)))))
          : [element('tr', {}, element('td', { className: 'text-muted' }, t('No result: no rule matched.')))])));
      result.append(element('h3', { className: 'h6 mb-1' }, t('Result')), table);
      this.say(rows.length ? t('Evaluated: rules {rows} matched.', { rows: rows.join(t(', ')) })
        : t('Evaluated: no rule matched.'), rows.length ? 'success' : 'info');
    }
    const list = element('ul', { className: 'list-unstyled small mb-0', id: 'evaluate-matched' },
      ...(body.matched || []).map(match => {
        const link = element('a', { href: '#' }, t('Rule {row}', { row: match.row }));
        link.addEventListener('click', event => {
          event.preventDefault();
          this.focus({ kind: 'rule', ruleId: match.rule_id });
        });
        return element('li', { dataset: { ruleId: match.rule_id, row: String(match.row) } }, link,
          match.description ? ` ${match.description}` : '');
      }));
    result.append(element('h3', { className: 'h6 mb-1 mt-2' }, t('Rules that matched')),
      (body.matched || []).length ? list : element('p', { className: 'small text-muted mb-0' }, t('None.')));
  }

  // -- deploy -----------------------------------------------------------------------------------------------

  deploy() {
    return this.run(async () => {
      const xml = await this.xml();
      const { errors } = await this.check(xml, { quiet: true });
      if (errors.length) {
        this.say(t('Not deployed: {count} errors. Correct them and deploy again.', { count: errors.length }), 'danger');
        return;
      }
      const comment = byId('deploy-comment').value.trim();
      const { status, body } = await this.api.deploy(xml, comment);
      if (status === 422) {
        const shown = this.showProblems((body && body.problems) || []);
        this.say(t('Not deployed: {count} errors. Correct them and deploy again.', { count: shown.errors.length }), 'danger');
        return;
      }
      const decisions = body.decisions || [];
      const mine = decisions.find(d => d.key === this.key) || decisions[0];
      for (const deployed of decisions) {
        this.addVersionOption(deployed.key, deployed.version, deployed.name);
      }
      this.key = mine.key;
      this.showDeployed(mine.key, mine.version);
      byId('deploy-comment').value = '';
      const result = byId('deploy-result');
      result.dataset.key = mine.key;
      result.dataset.version = String(mine.version);
      result.dataset.created = String(!!body.created);
      const others = decisions.filter(d => d.key !== mine.key && d.created);
      const also = others.length ? ' ' + t('Other decisions of this file were deployed too: {list}.', {
        list: others.map(other => t('{name} version {version}', { name: other.name, version: other.version })).join(t(', '))
      }) : '';
      if (!body.created) {
        this.say(t('Nothing to deploy: the table is the same as {name} version {version}.', { name: mine.name, version: mine.version }), 'info');
      } else {
        this.say(t('Deployed {name} version {version}. Business rule tasks bound to the latest version use it from now on.',
          { name: mine.name, version: mine.version }) + also, 'success');
      }
    });
  }

  addVersionOption(key, version, name) {
    const select = byId('open-version');
    if (addVersionOption(select, key, version, { label: name || key, dataName: 'key' })) {
      this.deployed.push({ key, name, versions: [] });
    }
    if (this.key === key && String(this.version) === String(version)) {
      chooseVersion(select, key, version);
    }
  }

  // -- wiring ---------------------------------------------------------------------------------------------------

  bind() {
    for (const entry of this.deployed) {
      for (const version of entry.versions) {
        this.addVersionOption(entry.key, version, entry.name);
      }
    }
    this.bindToolbar();
    byId('btn-evaluate').addEventListener('click', () => this.evaluate());
    byId('decision-choice').addEventListener('change', event => this.showDecision(event.target.value));
    byId('decision-key').addEventListener('change', event => this.changeKey(event.target.value));
  }

  requestedVersion() {
    return [this.root.dataset.key, this.root.dataset.version];
  }
}

startEditorPage(DecisionEditorPage, {
  rootId: 'decisions-app', messagesId: 'decision-messages', globalName: 'dubanDecisionsPage'
});
