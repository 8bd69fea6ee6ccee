// What the process modeler (../index.js) and the decision table editor (../decisions/index.js) do
// alike: the status line, one toolbar action at a time, the quiet check a moment after the last
// change, opening a file (the template, a deployed version, an upload), downloading it, Validate,
// and the toolbar's buttons. Both pages share the toolbar (editor_toolbar in templates/admin/_macros.html)
// and the translations of these strings (editor_messages there).
//
// A page extends EditorPage and brings its own:
//   api                          {template(), version(id, version), validate(xml)}
//   importFile(xml, id)          loads the XML into its editor (throws when it cannot); bpmn-js' or dmn-js' result
//   showOpened(id)               its state for the file just opened (this.version and this.fileName are set)
//   showSource()                 the badge that says what is open
//   showProblems(problems, xml)  -> {errors, warnings}
//   deploy(), bind() (calls bindToolbar()), requestedVersion() -> [id, version], and maybe loadLists()
//   pageUrl(id, version), downloadName(), templateMessage(), versionMessage(id, version)
import { loadMessages, t } from '../messages.js';
import { saveFile } from './save-file.js';
import { chooseVersion, chosenVersion } from './version-list.js';

function byId(id) {
  return document.getElementById(id);
}

export class EditorPage {
  constructor(root, { statusId, autoCheckMs }) {
    this.root = root;
    this.statusId = statusId;
    this.autoCheckMs = autoCheckMs;  // the quiet check runs this long after the last change
    this.version = null;             // the deployed version the file came from, if any
    this.fileName = null;            // or the uploaded file it came from
    this.dirty = false;
    this.revision = 0;               // counts changes, so that a late answer is not shown over a newer file
    this.busy = false;
    this.autoTimer = null;
  }

  // -- status line -------------------------------------------------------------------------------

  say(text, kind = 'info') {
    const status = byId(this.statusId);
    status.textContent = text;
    status.className = `alert alert-${kind} py-1 px-2 mb-2`;
    status.dataset.kind = kind;
  }

  // -- the quiet check after changes ---------------------------------------------------------------

  scheduleCheck(delay = this.autoCheckMs) {
    clearTimeout(this.autoTimer);
    this.autoTimer = setTimeout(() => this.autoCheck(), delay);
  }

  async autoCheck() {
    if (this.busy) {
      this.scheduleCheck();  // Validate, Deploy (and the like) show their own result
      return;
    }
    const revision = this.revision;
    this.root.dataset.checking = 'yes';
    try {
      const xml = await this.xml();
      const problems = await this.api.validate(xml);
      if (revision === this.revision && !this.busy) {
        this.showProblems(problems, xml);
        this.root.dataset.checked = String(revision);
      }
    } catch (err) {
      // Quiet: Validate and Deploy say what went wrong.
    } finally {
      delete this.root.dataset.checking;
    }
  }

  /** Runs one toolbar action at a time, its buttons disabled meanwhile; a failure goes to the status line. */
  async run(action) {
    if (this.busy) {
      return undefined;
    }
    this.busy = true;
    this.root.classList.add('busy');
    this.root.querySelectorAll('[data-action]').forEach(button => { button.disabled = true; });
    try {
      return await action();
    } catch (err) {
      this.say(t('Failed: {message}', { message: err.message || String(err) }), 'danger');
      return undefined;
    } finally {
      this.busy = false;
      this.root.classList.remove('busy');
      this.root.querySelectorAll('[data-action]').forEach(button => { button.disabled = false; });
    }
  }

  // -- opening -------------------------------------------------------------------------------------

  /** Shows `xml` (from deployed `version` of `id`, or the uploaded `fileName`); false when it cannot be read. */
  async open(xml, { id = null, version = null, fileName = null, message }) {
    let result;
    try {
      result = await this.importFile(xml, id);
    } catch (err) {
      this.say(t('The file could not be opened: {message}', { message: err.message }), 'danger');
      return false;
    }
    this.version = version;
    this.fileName = fileName;
    this.dirty = false;
    this.revision += 1;
    this.showOpened(id);
    this.showSource();
    const warnings = (result && result.warnings) || [];
    if (warnings.length) {
      this.say(t('{message} ({count} parts of the file were not understood and will be dropped on save).',
        { message, count: warnings.length }), 'warning');
    } else {
      this.say(message, 'success');
    }
    this.root.dataset.state = 'ready';
    this.scheduleCheck(0);  // what the engine says about the file, at once
    return true;
  }

  confirmDiscard() {
    return !this.dirty || window.confirm(t('Discard the unsaved changes?'));
  }

  openTemplate() {
    return this.run(async () => {
      if (!this.confirmDiscard()) {
        return;
      }
      const xml = await this.api.template();
      await this.open(xml, { message: this.templateMessage() });
      this.remember(null, null);
    });
  }

  openVersion(id, version) {
    return this.run(async () => {
      if (!this.confirmDiscard()) {
        return;
      }
      const xml = await this.api.version(id, version);
      if (await this.open(xml, { id, version: Number(version), message: this.versionMessage(id, version) })) {
        this.remember(id, version);
      }
    });
  }

  openFile(file) {
    return this.run(async () => {
      if (!this.confirmDiscard()) {
        return;
      }
      const xml = await file.text();
      if (await this.open(xml, { fileName: file.name, message: t('Opened the file {name}. It is not deployed yet.', { name: file.name }) })) {
        this.dirty = true;  // not deployed: leaving the page would lose it
        this.showSource();
        this.remember(null, null);
      }
    });
  }

  /** The address and the "Deployed" list follow what is open (a reload opens it again). */
  remember(id, version) {
    const target = this.pageUrl(id, version);
    if (target) {
      window.history.replaceState(null, '', target);
    }
    chooseVersion(byId('open-version'), id, version);
  }

  /** After a deploy: what is open is that version now (the page has set its id). */
  showDeployed(id, version) {
    this.version = version;
    this.fileName = null;
    this.dirty = false;
    this.showSource();
    this.remember(id, version);
  }

  async xml() {
    return (await this.modeler.saveXML({ format: true })).xml;
  }

  // -- downloading and validating --------------------------------------------------------------------

  download() {
    return this.run(async () => {
      const xml = await this.xml();
      const name = this.downloadName();
      saveFile(name, xml);
      this.say(t('Downloaded {name}.', { name }), 'success');
      await this.afterDownload(xml);
    });
  }

  async afterDownload() {}

  /** Validates `xml` on the server and shows its problems (quiet: without the summary); returns {errors, warnings}. */
  async check(xml, { quiet = false } = {}) {
    const result = this.showProblems(await this.api.validate(xml), xml);
    if (quiet) {
      return result;
    }
    if (result.errors.length) {
      this.say(t('{count} errors: correct them before deploying.', { count: result.errors.length }), 'danger');
    } else if (result.warnings.length) {
      this.say(t('No errors, {count} warnings.', { count: result.warnings.length }), 'warning');
    } else {
      this.say(t('No problems found.'), 'success');
    }
    return result;
  }

  validate() {
    return this.run(async () => this.check(await this.xml()));
  }

  // -- wiring ----------------------------------------------------------------------------------------

  bindToolbar() {
    byId('btn-new').addEventListener('click', () => this.openTemplate());
    byId('btn-open').addEventListener('click', () => {
      const [id, version] = chosenVersion(byId('open-version'));
      if (id && version) {
        this.openVersion(id, version);
      }
    });
    byId('upload-input').addEventListener('change', event => {
      const file = event.target.files && event.target.files[0];
      event.target.value = '';
      if (file) {
        this.openFile(file);
      }
    });
    byId('btn-download').addEventListener('click', () => this.download());
    byId('btn-validate').addEventListener('click', () => this.validate());
    byId('btn-deploy').addEventListener('click', () => this.deploy());
    document.addEventListener('keydown', event => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
        event.preventDefault();
        this.validate();
      }
    });
    window.addEventListener('beforeunload', event => {
      if (this.dirty) {
        event.preventDefault();
        event.returnValue = '';
      }
    });
  }

  /** What the page loads while the file opens (a promise, or nothing to wait for). */
  loadLists() {}

  /** Opens the version the address names, else the template; the lists load meanwhile. */
  async start() {
    this.bind();
    const lists = this.loadLists();
    const [id, version] = this.requestedVersion();
    if (id && version) {
      await this.openVersion(id, version);
    } else {
      await this.openTemplate();
    }
    await lists;
    if (this.root.dataset.state !== 'ready') {
      this.root.dataset.state = 'failed';
    }
  }
}

/**
 * Starts the page once the document is read: `Page` on the element `rootId`, its strings from the
 * JSON block `messagesId`, and the page as window[`globalName`] (for tests and the browser console).
 */
export function startEditorPage(Page, { rootId, messagesId, globalName }) {
  const boot = () => {
    const root = byId(rootId);
    if (!root) {
      return;
    }
    loadMessages(document, messagesId);
    const page = new Page(root);
    window[globalName] = page;
    page.start();
  };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', boot);
  } else {
    boot();
  }
}
