// Talking to the service: JSON in, JSON out; every failure becomes an ApiError carrying the
// problem document's `detail`, so the page can say what went wrong in words.

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    const detail = problem && problem.detail ? problem.detail : `the service answered ${status}`;
    super(status === 429 && retryAfter ? `${detail} (try again in ${retryAfter} s)` : detail);
    this.status = status;
    this.code = problem && problem.code;
    this.field = problem && problem.field;
    this.suggestions = (problem && problem.suggestions) || [];
    this.retryAfter = retryAfter;
  }
}

/** Call the API. Options: body (JSON), token (bearer), etag (If-None-Match; a 304 returns
 *  `{notModified: true}`). Returns the parsed body, with the ETag as `_etag` when there is one. */
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.etag) headers['If-None-Match'] = opts.etag;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, { detail: 'the service cannot be reached; check your connection' });
  }
  if (res.status === 304) return { notModified: true, _etag: opts.etag };
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    throw new ApiError(res.status, data, res.headers.get('Retry-After'));
  }
  const etag = res.headers.get('ETag');
  if (etag && data && typeof data === 'object' && !Array.isArray(data)) data._etag = etag;
  return data;
}

/** The saved seat (tokens) of each match and the puzzle profile, in localStorage. */
export const saved = {
  match(id) {
    try { return JSON.parse(localStorage.getItem(`wb.match.${id}`)) || {}; } catch { return {}; }
  },
  saveMatch(id, patch) {
    const next = { ...saved.match(id), ...patch, at: Date.now() };
    localStorage.setItem(`wb.match.${id}`, JSON.stringify(next));
    return next;
  },
  matches() {
    const out = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k && k.startsWith('wb.match.')) out.push({ id: k.slice(9), ...saved.match(k.slice(9)) });
    }
    return out.sort((a, b) => (b.at || 0) - (a.at || 0));
  },
  forget(id) { localStorage.removeItem(`wb.match.${id}`); },
  profile() {
    try { return JSON.parse(localStorage.getItem('wb.profile')); } catch { return null; }
  },
  saveProfile(p) { localStorage.setItem('wb.profile', JSON.stringify(p)); },
};

/** The visualise endpoint for a move (cards may be missing). */
export function moveViz(start, target, pub, pubSign, priv, privSign, neighbors = 8) {
  const q = new URLSearchParams();
  if (pub) { q.set('public_word', pub); q.set('public_sign', pubSign < 0 ? '-' : '+'); }
  if (priv) { q.set('private_word', priv); q.set('private_sign', privSign < 0 ? '-' : '+'); }
  q.set('neighbors', String(neighbors));
  const e = encodeURIComponent;
  return api('GET', `/visualize/move/${e(start)}/${e(target)}?${q}`);
}
