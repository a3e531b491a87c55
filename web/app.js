// The page's router: #/ (matches), #/match/{id}, #/puzzles[/difficulty], #/puzzle/{id},
// #/daily, #/profile. Everything runs from same-origin modules (no inline script).

import { renderHome, renderMatch } from './match.js';
import { renderPuzzleList, renderPuzzle, renderDaily, renderProfile } from './puzzles.js';
import { clearError, showError } from './ui.js';

const root = document.getElementById('app');
let cleanup = () => {};

function route() {
  cleanup();
  cleanup = () => {};
  clearError();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('on', a.getAttribute('href').split('/')[1] === (parts[0] || ''));
  }
  const [page, arg] = parts;
  switch (page) {
    case 'match': cleanup = renderMatch(root, arg) || cleanup; break;
    case 'puzzles': renderPuzzleList(root, arg); break;
    case 'puzzle': renderPuzzle(root, arg); break;
    case 'daily': renderDaily(root); break;
    case 'profile': renderProfile(root); break;
    default: renderHome(root);
  }
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (e) => showError(e.reason));
route();
