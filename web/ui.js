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
  // Keep the focus (and the caret) on a control with an id that the new content has too.
  const active = document.activeElement;
  const inside = active && active !== el && el.contains(active);
  const id = inside && active.id ? active.id : null;
  const caret = id && typeof active.selectionStart === 'number' ? active.selectionStart : null;
  el.replaceChildren();
  append(el, children);
  // The view's heading (where navigation put the focus) hands it on to the new heading.
  const again = id ? document.getElementById(id) : inside && active.tagName === 'H2' ? focusable(el.querySelector('h2')) : null;
  if (again) {
    again.focus({ preventScroll: true });
    if (caret !== null && again.setSelectionRange) again.setSelectionRange(caret, caret);
  }
}

/** `el`, focusable from script (not by Tab), or null. */
export function focusable(el) {
  if (el && !el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  return el;
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

/** A rank's tier, in words (the service's `tier`, or derived from the rank when missing). */
const TIERS = { bacio: 'bacio', close: 'close', in_the_hunt: 'in the hunt', wide: 'wide', long_way_off: 'long way off' };
export function tierText(tier, rank) {
  let t = tier;
  if (!t && rank) t = rank === 1 ? 'bacio' : rank <= 10 ? 'close' : rank <= 100 ? 'in_the_hunt' : rank <= 1000 ? 'wide' : 'long_way_off';
  return TIERS[t] || t || '';
}

/** "#12 · in the hunt" */
export const rankTier = (rank, tier) => `#${rank} · ${tierText(tier, rank)}`;

/** A tier badge: the word, and a class per tier (the colour only repeats the word). */
export function tierBadge(tier, rank) {
  const t = tier || tierText(null, rank).replace(/ /g, '_');
  return h(`span.tier.tier-${t}`, tierText(tier, rank));
}

/** Say something to screen readers (the page's one polite live region). */
export function announce(text) {
  const el = document.getElementById('announce');
  if (!el) return;
  el.textContent = '';
  setTimeout(() => { el.textContent = text; }, 50);
}

/** A sign toggle's words for a screen reader. */
export const signWord = (s) => (s < 0 ? 'minus' : 'plus');

/** What Enter does on the current view (throw), unless the key lands on a control or in a form
 *  (a field marked `data-enter-throws`, the joker's word, throws too). */
let enterAction = null;
export function onEnter(fn) { enterAction = fn; }
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || !enterAction || e.defaultPrevented) return;
  const t = e.target;
  const control = t.closest && t.closest('button, a, input, select, textarea, summary, form');
  if (control && !(t.dataset && 'enterThrows' in t.dataset)) return;
  e.preventDefault();
  enterAction();
});
