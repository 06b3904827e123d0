// The REST API, called with the session cookie the browser holds (never readable here).

/** A failed call: the problem+json the server sent, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `the server answered ${status}`);
    this.status = status;
    this.errors = (problem && Array.isArray(problem.errors)) ? problem.errors : [];
  }
}

let onUnauthorized = () => {};

/** What to do when the session has ended (401 outside the login calls). */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** Sends a request (a JSON body, or a Blob of JSON); resolves to {data, headers, status}, rejects with ApiError. */
export async function api(method, path, body, headers = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (body !== undefined) {
    // A Blob (a chosen file) is sent as its bytes, which the browser streams from disk: an
    // import document may be 64 MiB, which need not become a string here first.
    init.body = body instanceof Blob ? body : JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, { detail: 'The server cannot be reached. Check your connection and retry.' });
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.status === 401 && !path.startsWith('/app/api/session')) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, headers: res.headers, status: res.status };
}

/** The `rel="next"` URL of a `Link` header, if any. */
export function nextLink(headers) {
  const link = headers.get('Link');
  if (!link) return null;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return match ? match[1] : null;
}

/** The path of a task, by id. */
export function taskPath(id) {
  return `/api/v1/tasks/${encodeURIComponent(id)}`;
}
