// The page's router: #/ (matches), #/match/{id}, #/puzzles[/difficulty], #/puzzle/{id},
// #/daily (the archive), #/daily/{YYYY-MM-DD}, #/practice, #/profile. Everything runs from
// same-origin modules (no inline script).

import { renderHome, renderMatch } from './match.js';
import { renderPuzzleList, renderPuzzle, renderDaily, renderDailyDay, renderProfile, renderPractice } from './puzzles.js';
import { h, mount, clearError, showError, onEnter, focusable } from './ui.js';

const root = document.getElementById('app');
let cleanup = () => {};
let focusPending = false;

function route() {
  cleanup();
  cleanup = () => {};
  onEnter(null);
  clearError();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  for (const a of document.querySelectorAll('nav a')) {
    const on = a.getAttribute('href').split('/')[1] === (parts[0] || '');
    a.classList.toggle('on', on);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const [page, arg] = parts;
  // The old view goes at once (some views mount only when their data has come).
  mount(root, h('p.muted', 'Loading…'));
  switch (page) {
    case 'match': cleanup = renderMatch(root, arg) || cleanup; break;
    case 'puzzles': renderPuzzleList(root, arg); break;
    case 'puzzle': renderPuzzle(root, arg); break;
    case 'daily': if (arg) renderDailyDay(root, arg); else renderDaily(root); break;
    case 'practice': renderPractice(root); break;
    case 'profile': renderProfile(root); break;
    default: renderHome(root);
  }
  window.scrollTo(0, 0);
}

// On navigation, focus goes to the new view's heading as soon as it is on screen (views load
// their data first), so a screen reader starts reading there.
function focusHeading() {
  if (!focusPending) return;
  const heading = root.querySelector('h2');
  if (!heading) return;
  focusPending = false;
  focusable(heading).focus({ preventScroll: true });
}
new MutationObserver(focusHeading).observe(root, { childList: true, subtree: true });

window.addEventListener('hashchange', () => { focusPending = true; route(); focusHeading(); });
window.addEventListener('unhandledrejection', (e) => showError(e.reason));
route();
