// Requests from the editor pages to the administration back-end (web/admin.py,
// web/admin_decisions.py): with the session cookie, and on JSON POSTs the CSRF token from
// <meta name="csrf-token">. An answer that is not OK (nor one of `okStatuses`) is thrown as an
// ApiError carrying the server's message, so the pages can show it as it is.

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function csrfToken(doc = document) {
  const meta = doc.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : '';
}

/** {status, body}: the body parsed when the answer is JSON, else its text (the XML of a file). */
export async function request(method, target, { json, accept = 'application/json', okStatuses = [], doc = document } = {}) {
  const headers = { Accept: accept };
  const options = { method, credentials: 'same-origin', headers };
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['X-CSRFToken'] = csrfToken(doc);
    options.body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(target, options);
  } catch (err) {
    throw new ApiError(err.message || String(err), 0, null);
  }
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok && !okStatuses.includes(response.status)) {
    const message = (body && (body.error || body.message)) || `HTTP ${response.status}`;
    throw new ApiError(typeof message === 'string' ? message : `HTTP ${response.status}`, response.status, body);
  }
  return { status: response.status, body };
}
