// Small DOM helpers: no framework, no inline styles or scripts (the CSP forbids both).

/** h('div.card#id', {onclick, ...attrs}, ...children) */
export function h(spec, attrs, ...children) {
  if (attrs === null || typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  const [, tag, rest] = spec.match(/^([a-z0-9]+)(.*)$/i);
  const el = document.createElement(tag);
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && k !== 'list' && k !== 'form') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace the contents of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const banner = () => document.getElementById('error');

/** Show an error to the player, in words; suggestions become a hint. */
export function showError(err) {
  const b = banner();
  let text = err && err.message ? err.message : String(err);
  if (err && err.suggestions && err.suggestions.length) {
    text += ` — did you mean: ${err.suggestions.join(', ')}?`;
  }
  mount(b, h('span', text), h('button.link', { type: 'button', onclick: clearError, 'aria-label': 'dismiss' }, '×'));
  b.hidden = false;
}

export function clearError() {
  banner().hidden = true;
}

/** Run an async action; errors go to the banner (and to `onError`). Returns the action's
 *  value, or undefined when it failed. */
export async function attempt(fn, onError) {
  try {
    clearError();
    return await fn();
  } catch (e) {
    showError(e);
    if (onError) onError(e);
    return undefined;
  }
}

export function toast(text) {
  const t = h('div.toast', { role: 'status' }, text);
  document.body.append(t);
  setTimeout(() => t.remove(), 2000);
}

export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Copied');
  } catch {
    // No clipboard permission (or no secure context): select the text for a manual copy.
    const ta = h('textarea.copybox', { readOnly: true, value: text });
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand && document.execCommand('copy');
    ta.remove();
    toast(ok ? 'Copied' : 'Select and copy the text');
  }
}

export const pct = (x) => (x === undefined || x === null ? '–' : x.toFixed(3));
export const signStr = (s) => (s < 0 ? '−' : '+');
export const signNum = (s) => (s === '-' || s === -1 || s === '−' ? -1 : 1);

/** Contribution bars: one row per word, the bar's width its share of the similarity. */
export function contributionBars(contributions) {
  const max = Math.max(0.0001, ...contributions.map((c) => Math.abs(c.share)));
  return h('div.bars', contributions.map((c) => {
    const bar = h(`span.bar.${c.share < 0 ? 'neg' : 'pos'}`);
    bar.style.width = `${Math.round((Math.abs(c.share) / max) * 100)}%`;
    return h('div.barrow', h('span.barlabel', `${signStr(c.sign)} ${c.word}`), h('span.bartrack', bar),
      h('span.barval', c.share.toFixed(3)));
  }));
}

export function stars(n, of = 3) {
  return h('span.stars', { 'aria-label': `${n} of ${of} stars` }, '★'.repeat(n) + '☆'.repeat(Math.max(0, of - n)));
}
