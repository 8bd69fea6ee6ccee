// The decision table editor's endpoints (web/admin_decisions.py), named by the page in `urls`.
import { request } from '../shared/request.js';
import { fill } from '../syntax.js';

// One Accept header for all: the same endpoints answer JSON, the file ones DMN XML.
const ACCEPT = 'application/json, application/xml';

export function createApi(urls) {
  const call = (method, target, options = {}) => request(method, target, { ...options, accept: ACCEPT });
  return {
    template: async () => (await call('GET', urls.template)).body,
    version: async (key, version) => (await call('GET', fill(urls.version_xml, { key: encodeURIComponent(key), version }))).body,
    validate: async xml => ((await call('POST', urls.validate, { json: { xml } })).body || {}).problems || [],
    evaluate: (xml, decision, variables) => call('POST', urls.evaluate, { json: { xml, decision, variables }, okStatuses: [422] }),
    deploy: (xml, comment) => call('POST', urls.deploy, { json: { xml, comment }, okStatuses: [422] })
  };
}
