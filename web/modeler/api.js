// The administration back-end the modeler talks to (web/admin.py), through shared/request.js
// (the session cookie, and the CSRF token on JSON POSTs).
import { request as send } from './shared/request.js';

/**
 * `base` is the admin prefix (/admin/); `urls` may name the endpoints the page was given
 * (validate, deploy, known_groups, known_decisions, template, definitions), else they are found under `base`.
 */
export function createApi(base, urls = {}, doc = document) {
  const root = base.endsWith('/') ? base : base + '/';
  const url = (key, path) => urls[key] || root + path;
  const request = (method, target, options = {}) => send(method, target, { ...options, doc });

  return {
    async knownGroups() {
      const { body } = await request('GET', url('known_groups', 'api/known-groups'));
      return { units: (body && body.units) || [], roles: (body && body.roles) || [], groups: (body && body.groups) || [] };
    },
    /** The deployed decisions: [{key, name, versions: [newest first]}]. */
    async knownDecisions() {
      const { body } = await request('GET', url('known_decisions', 'api/known-decisions'));
      return (body && body.decisions) || [];
    },
    async template() {
      return (await request('GET', url('template', 'api/template'), { accept: 'application/xml, text/xml' })).body;
    },
    versionUrl(processId, version) {
      return `${root}processes/${encodeURIComponent(processId)}/versions/${encodeURIComponent(version)}.bpmn`;
    },
    /** The page for a deployed version (or the modeler's own page). */
    pageUrl(processId, version) {
      return processId
        ? `${root}processes/${encodeURIComponent(processId)}/modeler?version=${encodeURIComponent(version)}`
        : `${root}modeler`;
    },
    async version(processId, version) {
      return (await request('GET', this.versionUrl(processId, version), { accept: 'application/xml, text/xml' })).body;
    },
    /** Every deployed version: [{process_id, name, versions: [newest first]}], from the JSON API. */
    async deployed() {
      const byProcess = new Map();
      for (let page = 1; page <= 50; page++) {
        const target = `${urls.definitions || '/api/v1/definitions'}?per_page=100&page=${page}`;
        const { body } = await request('GET', target);
        for (const item of (body && body.items) || []) {
          if (!byProcess.has(item.process_id)) {
            byProcess.set(item.process_id, { process_id: item.process_id, name: item.name, versions: [] });
          }
          byProcess.get(item.process_id).versions.push(item.version);
        }
        if (!body || !body.items || page * (body.per_page || 100) >= (body.total || 0)) {
          break;
        }
      }
      const processes = [...byProcess.values()];
      processes.forEach(process => process.versions.sort((a, b) => b - a));
      return processes.sort((a, b) => a.process_id.localeCompare(b.process_id));
    },
    async validate(xml) {
      const { body } = await request('POST', url('validate', 'api/validate'), { json: { xml } });
      return (body && body.problems) || [];
    },
    /** {status: 201|200, body: {process_id, version, created}} or {status: 422, body: {problems}}. */
    async deploy(xml, comment, acceptWarnings) {
      return request('POST', url('deploy', 'api/deploy'), {
        json: { xml, comment, accept_warnings: !!acceptWarnings },
        okStatuses: [422]
      });
    }
  };
}
