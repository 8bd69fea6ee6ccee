// The administrators' BPMN modeler page (templates/admin/modeler.html): bpmn-js with the
// Camunda 7 properties panel and Duban's entries; new from the template, open a deployed
// version, upload and download .bpmn files, validate and deploy through /admin/api. The engine's
// lint runs on every change (quietly, a moment after the last one) as well as on Validate and
// Deploy: each problem marks its element on the diagram (colour and a badge), shows under the
// field it is about and on top of the element's properties. The toolbar, opening, downloading and
// the quiet check are shared with the decision table editor (shared/editor-page.js).
import './modeler.css';

import Modeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule
} from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';

import { createApi } from './api.js';
import { DubanPropertiesModule } from './duban-properties.jsx';
import { t } from './messages.js';
import { EditorPage, startEditorPage } from './shared/editor-page.js';
import { addVersionOption, chooseVersion } from './shared/version-list.js';
import { elementIdAtLine, entryErrors, partitionProblems, problemsByElement } from './syntax.js';
import { ZH, translateModule } from './translate-zh.js';

const MARKERS = { error: 'has-error', warning: 'has-warning', info: 'has-note' };
const BADGES = { error: '!', warning: '!', info: 'i' };
// Properties panel groups open from the start: what the engine reads.
const OPEN_GROUPS = Object.fromEntries([
  'duban-problems', 'general', 'CamundaPlatform__UserAssignment', 'CamundaPlatform__Form', 'timer',
  'CamundaPlatform__Condition', 'CamundaPlatform__Script', 'CamundaPlatform__Implementation',
  'CamundaPlatform__ExternalTask', 'message', 'signal', 'CamundaPlatform__CallActivity',
  'CamundaPlatform__InMapping', 'CamundaPlatform__InMappingPropagation', 'CamundaPlatform__OutMapping',
  'CamundaPlatform__OutMappingPropagation'
].map(id => [id, { open: true }]));
const AUTO_CHECK_MS = 1000;  // a quiet check this long after the last change

function byId(id) {
  return document.getElementById(id);
}

class ModelerPage extends EditorPage {
  constructor(root) {
    super(root, { statusId: 'modeler-status', autoCheckMs: AUTO_CHECK_MS });
    let urls = {};
    try {
      urls = JSON.parse(root.dataset.urls || '{}') || {};
    } catch (err) {
      urls = {};
    }
    this.api = createApi(root.dataset.adminBase || '/admin/', urls);
    this.settings = {
      showAll: false, units: [], roles: [], groupsLoaded: false, groupsError: false,
      processes: [],           // deployed: [{process_id, name, versions}] (the called-process picker)
      decisions: [],           // deployed: [{key, name, versions}] (the business rule tasks' decision picker)
      problems: new Map()      // the last check's problems by element id
    };
    this.problems = [];        // the last check's problems
    this.processId = null;
    this.marked = [];          // [elementId, marker]

    const additionalModules = [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule,
      DubanPropertiesModule,
      { dubanSettings: ['value', this.settings] }
    ];
    if ((root.dataset.locale || 'zh').startsWith('zh')) {
      additionalModules.push(translateModule(ZH));
    }
    this.modeler = new Modeler({
      container: byId('modeler-canvas'),
      propertiesPanel: { parent: byId('modeler-properties'), layout: { groups: OPEN_GROUPS } },
      additionalModules,
      moddleExtensions: { camunda: camundaModdle }
    });
    window.dubanModeler = this.modeler;  // for tests and the browser console
    this.modeler.on('commandStack.changed', () => this.changed());
    this.modeler.on('selection.changed', () => this.showEntryErrors());
  }

  // -- what is open ----------------------------------------------------------

  showSource() {
    const source = byId('modeler-source');
    const process = this.processId || '?';
    if (this.version) {
      source.textContent = t('{process} version {version}', { process, version: this.version });
    } else if (this.fileName) {
      source.textContent = t('{name}: {process} (not deployed)', { name: this.fileName, process });
    } else {
      source.textContent = t('New process ({process})', { process });
    }
    source.textContent += this.dirty ? ` · ${t('unsaved changes')}` : '';
    this.root.dataset.processId = this.processId || '';
    this.root.dataset.version = this.version || '';
  }

  changed() {
    this.dirty = true;
    this.revision += 1;
    this.processId = this.currentProcessId() || this.processId;
    byId('modeler-problems').classList.toggle('stale', this.marked.length > 0);
    this.showSource();
    this.scheduleCheck();
  }

  // -- loading ---------------------------------------------------------------

  async importFile(xml) {
    return this.modeler.importXML(xml);
  }

  showOpened(processId) {
    this.clearProblems();
    this.modeler.get('canvas').zoom('fit-viewport', 'auto');
    this.processId = processId || this.currentProcessId();
  }

  templateMessage() {
    return t('New process from the template. Give it an id and a name (click the empty canvas).');
  }

  versionMessage(processId, version) {
    return t('Opened {process} version {version}.', { process: processId, version });
  }

  pageUrl(processId, version) {
    return this.api.pageUrl(processId, version);
  }

  processName() {
    const definitions = this.modeler.getDefinitions && this.modeler.getDefinitions();
    const process = ((definitions && definitions.rootElements) || []).find(e => e.id === this.currentProcessId());
    return process && process.name;
  }

  currentProcessId() {
    const definitions = this.modeler.getDefinitions && this.modeler.getDefinitions();
    const processes = ((definitions && definitions.rootElements) || []).filter(element => element.$type === 'bpmn:Process');
    const executable = processes.find(p => p.isExecutable) || processes[0];
    return executable ? executable.id : null;
  }

  // -- downloading -------------------------------------------------------------

  downloadName() {
    return `${this.currentProcessId() || 'process'}.bpmn`;
  }

  async afterDownload(xml) {
    // Saving to disk checks the diagram too; the file is saved either way.
    await this.check(xml, { quiet: true });
  }

  // -- problems ----------------------------------------------------------------

  clearProblems(resetPanel = true) {
    const canvas = this.modeler.get('canvas');
    const registry = this.modeler.get('elementRegistry');
    for (const [id, marker] of this.marked) {
      if (registry.get(id)) {
        canvas.removeMarker(id, marker);
      }
    }
    this.modeler.get('overlays').remove({ type: 'duban-problem' });
    this.marked = [];
    if (resetPanel) {
      this.setProblems([]);
    }
    byId('error-list').replaceChildren();
    byId('warning-list').replaceChildren();
    byId('note-list').replaceChildren();
    byId('modeler-problems').classList.remove('stale');
    byId('modeler-problems').dataset.errors = '0';
    byId('modeler-problems').dataset.warnings = '0';
    byId('modeler-problems').dataset.notes = '0';
    byId('errors-box').hidden = true;
    byId('warnings-box').hidden = true;
    byId('notes-box').hidden = true;
  }

  /** The problems the properties panel shows for the selected element (on top, and under their fields). */
  setProblems(problems) {
    const selected = this.selectedId();
    const before = JSON.stringify(this.settings.problems.get(selected) || []);
    this.problems = problems;
    this.settings.problems = problemsByElement(problems);
    if (JSON.stringify(this.settings.problems.get(selected) || []) !== before) {
      this.modeler.get('eventBus').fire('propertiesPanel.providersChanged');
    }
    this.showEntryErrors();
  }

  selectedId() {
    const selected = this.modeler.get('selection').get();
    if (selected.length === 1) {
      return selected[0].id;
    }
    const root = this.modeler.get('canvas').getRootElement();
    return selected.length === 0 && root ? root.id : null;
  }

  showEntryErrors() {
    const selected = this.selectedId();
    this.modeler.get('eventBus').fire('propertiesPanel.setErrors', { errors: selected ? entryErrors(this.problems, selected) : {} });
  }

  /** A badge on the element: how many problems, the messages as its tooltip. */
  addBadge(elementId, problems) {
    const severity = problems.some(p => (p.severity || 'error') === 'error') ? 'error'
      : problems.some(p => p.severity === 'warning') ? 'warning' : 'info';
    const badge = document.createElement('span');
    badge.className = `duban-problem-badge duban-badge-${severity}`;
    badge.dataset.elementId = elementId;
    badge.dataset.severity = severity;
    badge.textContent = problems.length > 1 ? String(problems.length) : BADGES[severity];
    badge.title = problems.map(p => p.message).join('\n');
    badge.addEventListener('click', () => this.focus(elementId));
    try {
      this.modeler.get('overlays').add(elementId, 'duban-problem', { position: { top: -10, right: 10 }, html: badge });
    } catch (err) {
      // an element without a shape here (the process, or one in another diagram plane)
    }
  }

  showProblems(problems, xml) {
    this.clearProblems(false);
    const registry = this.modeler.get('elementRegistry');
    const canvas = this.modeler.get('canvas');
    const located = (problems || []).map(problem => ({ ...problem, element_id: problem.element_id || elementIdAtLine(xml, problem.line) }));
    const { errors, warnings, notes } = partitionProblems(located);
    const render = (list, items, severity) => {
      for (const problem of items) {
        const elementId = problem.element_id;
        const element = elementId && registry.get(elementId);
        const item = document.createElement('li');
        item.className = 'list-group-item problem';
        item.dataset.severity = severity;
        if (elementId) {
          item.dataset.elementId = elementId;
        }
        if (element) {
          const link = document.createElement('a');
          link.href = '#';
          link.className = 'problem-element';
          const name = element.businessObject && element.businessObject.name;
          link.textContent = name ? `${elementId}（${name}）` : elementId;
          link.addEventListener('click', event => {
            event.preventDefault();
            this.focus(elementId);
          });
          item.append(link, ' ');
          if (!this.marked.some(([id, marker]) => id === elementId && marker === MARKERS[severity])) {
            canvas.addMarker(elementId, MARKERS[severity]);
            this.marked.push([elementId, MARKERS[severity]]);
          }
        } else if (elementId) {
          const code = document.createElement('code');
          code.textContent = elementId;
          item.append(code, ' ');
        }
        const message = document.createElement('span');
        message.className = 'problem-message';
        message.textContent = problem.message;
        item.append(message);
        if (problem.line) {
          const line = document.createElement('small');
          line.className = 'text-muted ms-1';
          line.textContent = t('(line {line})', { line: problem.line });
          item.append(line);
        }
        list.append(item);
      }
    };
    render(byId('error-list'), errors, 'error');
    render(byId('warning-list'), warnings, 'warning');
    render(byId('note-list'), notes, 'info');
    const root = canvas.getRootElement();
    for (const [elementId, items] of problemsByElement(located)) {
      if (registry.get(elementId) && (!root || elementId !== root.id)) {
        this.addBadge(elementId, items);
      }
    }
    this.setProblems(located);
    byId('errors-box').hidden = errors.length === 0;
    byId('warnings-box').hidden = warnings.length === 0;
    byId('notes-box').hidden = notes.length === 0;
    byId('modeler-problems').dataset.errors = String(errors.length);
    byId('modeler-problems').dataset.warnings = String(warnings.length);
    byId('modeler-problems').dataset.notes = String(notes.length);
    return { errors, warnings, notes };
  }

  focus(elementId) {
    const element = this.modeler.get('elementRegistry').get(elementId);
    if (!element) {
      return;
    }
    const canvas = this.modeler.get('canvas');
    if (canvas.zoom() < 0.75) {
      canvas.zoom(1);
    }
    if (element.waypoints || element.width !== undefined) {
      canvas.scrollToElement(element, { top: 120, bottom: 120, left: 160, right: 160 });
    }
    this.modeler.get('selection').select(element);
  }

  // -- deploying ---------------------------------------------------------------

  deploy() {
    return this.run(async () => {
      const xml = await this.xml();
      const accept = byId('accept-warnings').checked;
      const { errors, warnings } = await this.check(xml, { quiet: true });
      if (errors.length) {
        this.say(t('Not deployed: {count} errors. Correct them and deploy again.', { count: errors.length }), 'danger');
        return;
      }
      if (warnings.length && !accept) {
        this.say(t('Not deployed: {count} warnings. Check them; tick "accept warnings" to deploy anyway.', { count: warnings.length }), 'warning');
        byId('accept-warnings').focus();
        return;
      }
      const comment = byId('deploy-comment').value.trim();
      const { status, body } = await this.api.deploy(xml, comment, accept);
      if (status === 422) {
        const shown = this.showProblems((body && body.problems) || [], xml);
        this.say(shown.errors.length
          ? t('Not deployed: {count} errors. Correct them and deploy again.', { count: shown.errors.length })
          : t('Not deployed: {count} warnings. Check them; tick "accept warnings" to deploy anyway.', { count: shown.warnings.length }),
        shown.errors.length ? 'danger' : 'warning');
        return;
      }
      this.processId = body.process_id;
      this.showDeployed(body.process_id, body.version);
      this.addVersionOption(body.process_id, body.version, this.processName());
      this.rememberDeployed(body.process_id, body.version, this.processName());
      byId('deploy-comment').value = '';
      byId('accept-warnings').checked = false;
      const result = byId('deploy-result');
      result.dataset.processId = body.process_id;
      result.dataset.version = body.version;
      // A file's other executable processes are deployed too, each with its own versions.
      const others = (body.others || []).filter(other => other.created);
      const also = others.length ? ' ' + t('Also deployed from this file: {list}.', {
        list: others.map(other => t('{name} version {version}', { name: other.name, version: other.version })).join(t(', ')),
      }) : '';
      if (body.created === false) {
        this.say(t('Nothing to deploy: the diagram is the same as {process} version {version}.', { process: body.process_id, version: body.version }) + also, others.length ? 'success' : 'info');
      } else {
        this.say(t('Deployed {process} version {version}. New instances use it; running ones stay on their version.', { process: body.process_id, version: body.version }) + also, 'success');
      }
    });
  }

  addVersionOption(processId, version, name) {
    const select = byId('open-version');
    const label = name && name !== processId ? `${name}（${processId}）` : processId;
    addVersionOption(select, processId, version, { label, dataName: 'processId' });
    if (this.processId === processId && String(this.version) === String(version)) {
      chooseVersion(select, processId, version);
    }
  }

  rememberDeployed(processId, version, name) {
    let process = this.settings.processes.find(p => p.process_id === processId);
    if (!process) {
      process = { process_id: processId, name: name || processId, versions: [] };
      this.settings.processes = [...this.settings.processes, process];
    }
    if (!process.versions.includes(version)) {
      process.versions.unshift(version);
    }
  }

  async loadDeployed() {
    try {
      const processes = await this.api.deployed();
      for (const process of processes) {
        for (const version of process.versions) {
          this.addVersionOption(process.process_id, version, process.name);
        }
      }
      this.settings.processes = processes;
      this.modeler.get('eventBus').fire('propertiesPanel.providersChanged');
    } catch (err) {
      // The list is a convenience: the process pages link here too.
    }
  }

  async loadDecisions() {
    try {
      this.settings.decisions = await this.api.knownDecisions();
      this.settings.decisionsLoaded = true;
      this.modeler.get('eventBus').fire('propertiesPanel.providersChanged');
    } catch (err) {
      // The picker is a convenience: the decision's key can be typed.
    }
  }

  // -- wiring --------------------------------------------------------------------

  async loadGroups() {
    try {
      const groups = await this.api.knownGroups();
      this.settings.units = groups.units;
      this.settings.roles = groups.roles;
      this.settings.groups = groups.groups;
      this.settings.groupsLoaded = true;
    } catch (err) {
      this.settings.groupsError = true;
    }
    this.modeler.get('eventBus').fire('propertiesPanel.providersChanged');
  }

  bind() {
    this.bindToolbar();
    byId('show-all-properties').addEventListener('change', event => {
      this.settings.showAll = event.target.checked;
      this.modeler.get('eventBus').fire('propertiesPanel.providersChanged');
    });
  }

  loadLists() {
    return Promise.all([this.loadGroups(), this.loadDeployed(), this.loadDecisions()]);
  }

  requestedVersion() {
    return [this.root.dataset.processId, this.root.dataset.version];
  }
}

startEditorPage(ModelerPage, { rootId: 'modeler-app', messagesId: 'modeler-messages', globalName: 'dubanModelerPage' });
