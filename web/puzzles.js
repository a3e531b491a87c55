// Puzzles: the list with the player's stars, a puzzle (hint, solve, give up, share), the daily
// puzzle, the profile and each puzzle's leaderboard.

import { api, saved, moveViz } from './api.js';
import { drawViz, legend } from './draw.js';
import {
  h, mount, attempt, copy, pct, signStr, signNum, contributionBars, stars, tierBadge, tierText, rankTier, announce,
  signWord, onEnter,
} from './ui.js';
import { newFree, tryYourOwn } from './match.js';

const enc = encodeURIComponent;

async function myProgress() {
  const p = saved.profile();
  if (!p || !p.token) return null;
  try {
    return await api('GET', '/players/me', { token: p.token });
  } catch (e) {
    if (e.status === 401) return null; // a profile from another server: ignore it
    throw e;
  }
}

export function renderPuzzleList(root, difficulty) {
  const filter = h('div.filters', ['all', 'easy', 'medium', 'hard'].map((d) =>
    h(`a.chip${(difficulty || 'all') === d ? '.on' : ''}`, { href: d === 'all' ? '#/puzzles' : `#/puzzles/${d}` }, d)));
  mount(root, h('section.panel', h('h2', 'Puzzles'), filter, h('p.muted', 'Loading…')));
  attempt(async () => {
    const q = difficulty && difficulty !== 'all' ? `?difficulty=${enc(difficulty)}` : '';
    const [list, me] = await Promise.all([api('GET', `/puzzles${q}`), myProgress()]);
    const best = Object.fromEntries(((me && me.puzzles) || []).map((p) => [p.puzzle_id, p]));
    mount(root, h('section.panel#puzzles',
      h('h2', 'Puzzles'),
      me ? h('p', `${me.name}: `, h('strong', `★ ${me.total_stars}`), ' stars in all') : h('p.muted', h('a', { href: '#/profile' }, 'Create a profile'), ' to keep your stars.'),
      filter,
      h('ul.puzzle-list', list.map((p) => h('li',
        h('a', { href: `#/puzzle/${enc(p.id)}` }, h('strong', p.name)),
        h('span.badge', p.difficulty), ' ',
        h('span.muted', `${p.start_word} → ${p.target_word}`), ' ',
        stars(best[p.id] ? best[p.id].stars : 0))))));
  });
}

const FIRST_DAY = '2026-11-23';
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const dayName = (d) => `${Number(d.slice(8))} ${MONTHS[Number(d.slice(5, 7)) - 1]} ${d.slice(0, 4)}`;

/** The UTC days from the first daily puzzle to today, as YYYY-MM-DD. */
function dailyDays() {
  const out = [];
  const today = new Date().toISOString().slice(0, 10);
  for (let t = Date.parse(`${FIRST_DAY}T00:00:00Z`); ; t += 86400000) {
    const d = new Date(t).toISOString().slice(0, 10);
    if (d > today) break;
    out.push(d);
  }
  return out;
}

/** The daily archive: a calendar from the first day to today, your stars on each day, your
 *  streak. Each day opens that day's puzzle. */
export function renderDaily(root) {
  mount(root, h('section.panel', h('h2', 'Daily puzzles'), h('p.muted', 'Loading the calendar…')));
  attempt(async () => {
    const days = dailyDays().slice(-84); // twelve weeks at most
    const [me, ...puzzles] = await Promise.all([myProgress(),
      ...days.map((d) => api('GET', `/puzzles/daily?date=${d}`).catch(() => null))]);
    const best = Object.fromEntries(((me && me.puzzles) || []).map((q) => [q.puzzle_id, q.stars]));
    const today = days[days.length - 1];
    // Weeks from Monday: blank cells before the first day.
    const lead = (new Date(`${days[0]}T00:00:00Z`).getUTCDay() + 6) % 7;
    const cells = [...Array(lead).fill(null), ...days.map((d, i) => ({ d, p: puzzles[i] }))];
    const weeks = [];
    for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
    const cell = (c) => {
      if (!c) return h('td');
      const n = c.p && me ? best[c.p.id] || 0 : null;
      const more = `${MONTHS[Number(c.d.slice(5, 7)) - 1]}${c.p ? `: ${c.p.name}` : ''}${n === null ? '' : `, ${n} of 3 stars`}${c.d === today ? ' (today)' : ''}`;
      return h('td', h(`a${c.d === today ? '.today' : ''}`, { href: `#/daily/${c.d}`, dataset: { date: c.d } },
        h('span.day', String(Number(c.d.slice(8))), c.d === days[0] || c.d.endsWith('-01') ? ` ${MONTHS[Number(c.d.slice(5, 7)) - 1].slice(0, 3)}` : ''),
        h('span.sr-only', ` ${more}`),
        n === null ? null : h('span.stars', { 'aria-hidden': 'true' }, '★'.repeat(n) + '☆'.repeat(3 - n))));
    };
    mount(root, h('section.panel#daily-archive',
      h('h2', 'Daily puzzles'),
      me ? h('p#streak', 'Streak: ', h('strong', `${me.streak} ${me.streak === 1 ? 'day' : 'days'}`),
        ' · best streak: ', h('strong', `${me.best_streak} ${me.best_streak === 1 ? 'day' : 'days'}`),
        ` · ${me.days_played} ${me.days_played === 1 ? 'day' : 'days'} played`)
        : h('p.muted', h('a', { href: '#/profile' }, 'Create a profile'), ' to keep your stars and your streak.'),
      h('p', h('a#today-puzzle', { href: `#/daily/${today}` }, 'Play today\'s puzzle')),
      h('div.scroll', { tabIndex: 0, role: 'region', 'aria-label': 'calendar' }, h('table.calendar',
        h('caption.sr-only', `Daily puzzles from ${dayName(days[0])} to ${dayName(today)}`),
        h('thead', h('tr', ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d) => h('th', { scope: 'col' }, d)))),
        h('tbody', weeks.map((w) => h('tr', w.map(cell))))))));
  });
}

/** One day's daily puzzle (today's counts for the streak). */
export function renderDailyDay(root, date) {
  mount(root, h('p.muted', 'Finding the puzzle…'));
  attempt(async () => {
    const p = await api('GET', `/puzzles/daily?date=${enc(date)}`);
    renderPuzzle(root, p.id, p, true);
  });
}

/** Practice: court after court against par, with the profile token when there is one. */
export function renderPractice(root) {
  const st = { court: null, difficulty: 'medium', sel: { pub: null, pubSign: 1, priv: null, privSign: 1 }, result: null, throws: [], stats: null };

  const newCourt = (button) => attempt(async () => {
    if (button) button.disabled = true;
    try {
      st.court = await api('POST', '/practice', { body: { difficulty: st.difficulty } });
      st.sel = { pub: null, pubSign: 1, priv: null, privSign: 1 };
      st.result = null;
      st.throws = [];
      render();
      announce(`New court: from ${st.court.start_word} to ${st.court.target_word}.`);
    } finally {
      if (button) button.disabled = false;
    }
  });

  async function throwIt(button) {
    button.disabled = true;
    await attempt(async () => {
      const c = st.court, sel = st.sel;
      const prof = saved.profile();
      const body = {
        public_token: sel.pub, public_sign: sel.pubSign < 0 ? '-' : '+',
        private_token: sel.priv, private_sign: sel.privSign < 0 ? '-' : '+',
      };
      const r = await api('POST', `/practice/${enc(c.court_id)}/throw`, { body, token: prof && prof.token });
      st.result = { ...r, move: body };
      st.throws.push(st.result);
      announce(`Rank ${r.rank}, ${tierText(r.tier, r.rank)}, similarity ${pct(r.similarity)}; ${ofParText(r.of_par)}. Par is rank ${r.par.rank}.`);
      render();
      if (prof) loadStats();
    });
    button.disabled = false;
  }

  // With a profile, what its practice adds up to (courts, throws, the mean best share of par).
  const loadStats = () => myProgress().then((me) => { st.stats = me && me.practice; render(); }).catch(() => {});

  const ofParText = (x) => (x >= 1 ? 'at par or beyond' : `${Math.round(Math.max(0, x) * 100)}% of the way to par`);
  const moveLine = (c, m) => `${c.start_word} ${m.public_sign === '-' ? '−' : '+'} ${m.public_token} ${m.private_sign === '-' ? '−' : '+'} ${m.private_token}`;

  function picker(c) {
    const sel = st.sel;
    const set = (patch) => { Object.assign(sel, patch); render(); };
    const card = (word, kind, signKey, wordKey) => {
      const chosen = sel[wordKey] === word;
      return h(`div.card.${kind}${chosen ? '.chosen' : ''}`,
        h('button.pick', { type: 'button', 'aria-pressed': String(chosen), onclick: () => set({ [wordKey]: word }), dataset: { card: word } }, word),
        h('button.sign', {
          type: 'button', 'aria-label': `${chosen ? signWord(sel[signKey]) : 'plus or minus'} ${word}`, dataset: { sign: word },
          onclick: () => set({ [wordKey]: word, [signKey]: chosen ? -sel[signKey] : sel[signKey] }),
        }, chosen ? signStr(sel[signKey]) : '±'));
    };
    return h('div.picker',
      h('h4', 'Public cards'), h('div.cards#public-cards', c.public_cards.map((w) => card(w, 'public', 'pubSign', 'pub'))),
      h('h4', 'Your cards'), h('div.cards#private-cards', c.private_cards.map((w) => card(w, 'private', 'privSign', 'priv'))),
      sel.pub && sel.priv
        ? h('p.preview', `${c.start_word} ${signStr(sel.pubSign)} ${sel.pub} ${signStr(sel.privSign)} ${sel.priv}`)
        : h('p.muted', 'Pick one public card and one of yours; tap ± to subtract it. Enter throws.'),
      h('div.actions',
        h('button.primary#submit', { type: 'button', disabled: !(sel.pub && sel.priv), onclick: (e) => throwIt(e.target) }, 'Throw'),
        h('button#next-court', { type: 'button', onclick: (e) => newCourt(e.target) }, 'Next court')));
  }

  function resultView(c, r) {
    const bar = h('span.bar');
    bar.style.width = `${Math.round(Math.min(1, Math.max(0, r.of_par)) * 100)}%`;
    return h('div.result#practice-result',
      h('h4', 'Your throw'),
      h('p.preview', moveLine(c, r.move)),
      h('div.figures',
        h('div.figure', h('span.big#rank', `#${r.rank}`), h('span.muted', 'rank ', tierBadge(r.tier, r.rank))),
        h('div.figure', h('span.big', pct(r.similarity)), h('span.muted', 'similarity')),
        h('div.figure', h('span.big', r.nearest || '–'), h('span.muted', 'nearest'))),
      h('div.par#par', h('h4', 'Par (the best move of this court)'),
        h('p.preview', `${moveLine(c, r.par.move)} — ${pct(r.par.similarity)} (${rankTier(r.par.rank)})`),
        h('div.parbar', h('span.partrack', { role: 'img', 'aria-label': ofParText(r.of_par) }, bar), h('span#of-par', ofParText(r.of_par)))),
      contributionBars(r.contributions || []),
      st.throws.length > 1 ? h('details', h('summary', `Your ${st.throws.length} throws on this court`),
        h('ol', st.throws.map((t) => h('li', `${moveLine(c, t.move)} — ${rankTier(t.rank, t.tier)}, ${ofParText(t.of_par)}`)))) : null);
  }

  function render() {
    const c = st.court;
    onEnter(() => { const b = root.querySelector('#submit'); if (b && !b.disabled) b.click(); });
    const prof = saved.profile();
    mount(root, h('section.panel#practice',
      h('h2', 'Practice'),
      h('p.muted', 'Court after court, alone, against par: the best move the cards allow.',
        prof ? ' Your throws count on your profile.' : ' ', prof ? null : h('a', { href: '#/profile' }, 'Create a profile to keep count.')),
      st.stats ? h('p#practice-stats', `Your practice: ${st.stats.courts} ${st.stats.courts === 1 ? 'court' : 'courts'}, `
        + `${st.stats.throws} ${st.stats.throws === 1 ? 'throw' : 'throws'}, on average ${Math.round(st.stats.best_of_par_mean * 100)}% of the way to par at best.`) : null,
      h('label', 'Difficulty', h('select#practice-difficulty', {
        onchange: (e) => { st.difficulty = e.target.value; newCourt(); },
      }, ['easy', 'medium', 'hard'].map((d) => h('option', { value: d, selected: d === st.difficulty }, d)))),
      c ? h('div.round-head',
        h('div.words', h('span.word.start', c.start_word), h('span.arrow', '→'), h('span.word.target', c.target_word))) : h('p.muted', 'Dealing a court…'),
      c ? picker(c) : null,
      c && st.result ? resultView(c, st.result) : null));
  }

  render();
  newCourt();
  if (saved.profile()) loadStats();
}

export function renderProfile(root) {
  const p = saved.profile();
  if (!p) {
    mount(root, h('form.panel#profile-form', {
      onsubmit: (e) => {
        e.preventDefault();
        attempt(async () => {
          const made = await api('POST', '/players', { body: { name: e.target.elements.name.value } });
          saved.saveProfile(made);
          renderProfile(root);
        });
      },
    }, h('h2', 'Your puzzle profile'),
    h('p.muted', 'A name is all it takes; your stars are kept on this browser\'s token.'),
    h('label', 'Name', h('input', { name: 'name', required: true, maxLength: 50 })),
    h('button.primary', { type: 'submit' }, 'Create profile')));
    return;
  }
  mount(root, h('p.muted', 'Loading your profile…'));
  attempt(async () => {
    const me = await myProgress();
    if (!me) {
      mount(root, h('section.panel', h('p', 'This profile is not known to the service.'),
        h('button', { type: 'button', onclick: () => { localStorage.removeItem('wb.profile'); renderProfile(root); } }, 'Make a new one')));
      return;
    }
    mount(root, h('section.panel#profile',
      h('h2', me.name), h('p', h('strong#total-stars', String(me.total_stars)), ' stars · ', `${me.solved} solved`),
      h('table', h('thead', h('tr', ['puzzle', 'stars', 'best', 'attempts'].map((t) => h('th', t)))),
        h('tbody', me.puzzles.map((q) => h('tr', h('td', h('a', { href: `#/puzzle/${enc(q.puzzle_id)}` }, q.puzzle_id)),
          h('td', stars(q.stars)), h('td', pct(q.best_similarity)), h('td', String(q.attempts))))))));
  });
}

/** A move as the puzzle routes describe it (`public_card`/`public_token`, signs as ±1 or "+"/"-"). */
function normMove(m) {
  return {
    pub: m.public_card || m.public_token || m.public_used,
    pubSign: signNum(m.public_sign),
    priv: m.private_card || m.private_token || m.private_used,
    privSign: signNum(m.private_sign),
    similarity: m.similarity,
    rank: m.rank,
    nearest: m.nearest || m.nearest_word,
  };
}

export function renderPuzzle(root, id, preloaded, daily = false) {
  const st = {
    p: preloaded || null, slots: [], signs: [1, 1], wild: '', result: null, gaveUp: null, hint: false, board: null, viz: null, free: newFree(),
  };

  const load = () => attempt(async () => {
    if (!st.p || !st.p.allowed_cards) st.p = await api('GET', `/puzzle/${enc(id)}`);
    render();
    st.board = await api('GET', `/puzzle/${enc(id)}/leaderboard?limit=10`).catch(() => null);
    render();
  });

  const cards = () => (st.p.allowed_cards || []).filter((c) => c !== 'WILDCARD');

  function toggle(card) {
    const i = st.slots.indexOf(card);
    if (i >= 0) { st.slots.splice(i, 1); st.signs.splice(i, 1); st.signs.push(1); }
    else if (st.slots.length < 2) st.slots.push(card);
    else { st.slots[1] = card; st.signs[1] = 1; }
    render();
  }

  async function solve(button) {
    button.disabled = true;
    await attempt(async () => {
      const prof = saved.profile();
      const [pub, priv] = st.slots;
      st.result = await api('POST', `/puzzle/${enc(id)}/solve`, {
        token: prof && prof.token,
        body: { public_token: pub, public_sign: st.signs[0], private_token: priv, private_sign: st.signs[1] },
      });
      st.viz = null;
      const r = st.result;
      announce(`${r.passed ? 'Passed' : 'Not passed yet'}: ${r.stars} of 3 stars, rank ${r.rank}, ${tierText(r.tier, r.rank)}, similarity ${pct(r.similarity)}.`);
      render();
      st.viz = await moveViz(st.p.start_word, st.p.target_word, pub, st.signs[0], priv, st.signs[1]);
      render();
      st.board = await api('GET', `/puzzle/${enc(id)}/leaderboard?limit=10`).catch(() => st.board);
      render();
    });
    button.disabled = false;
  }

  async function giveUp(button) {
    button.disabled = true;
    await attempt(async () => {
      const prof = saved.profile();
      st.gaveUp = await api('POST', `/puzzle/${enc(id)}/give-up`, { token: prof && prof.token });
      render();
    });
    button.disabled = false;
  }

  function render() {
    const p = st.p;
    if (!p) return mount(root, h('p.muted', 'Loading the puzzle…'));
    const slot = (i, name) => {
      const card = st.slots[i];
      return h(`div.slot${card ? '.filled' : ''}`,
        h('span.muted', name),
        h('button.sign', {
          type: 'button', id: i === 0 ? 'pub-sign' : 'priv-sign', disabled: !card, 'aria-label': `${signWord(st.signs[i])} ${name}`,
          onclick: () => { st.signs[i] = -st.signs[i]; render(); },
        }, signStr(st.signs[i])),
        h('strong', card || '—'));
    };
    const wildcard = p.has_wildcard
      ? h('form.wild', {
        onsubmit: (e) => {
          e.preventDefault();
          const w = st.wild.trim().toLowerCase();
          if (w && !st.slots.includes(w)) toggle(w);
        },
      }, h('label', 'Wildcard: any deck word', h('input#wild', { value: st.wild, oninput: (e) => { st.wild = e.target.value; } })),
      h('button', { type: 'submit' }, 'Use'))
      : null;
    const r = st.result;
    const th = p.stars_thresholds || {};
    onEnter(() => { const b = root.querySelector('#solve'); if (b && !b.disabled) b.click(); });
    mount(root, h('section.panel#puzzle',
      h('h2', daily ? `Daily puzzle${p.date ? ` of ${p.date}` : ''}: ` : '', p.name, ' ', h('span.badge', p.difficulty || '')),
      h('p', p.description || ''),
      h('div.words', h('span.word.start', p.start_word), h('span.arrow', '→'), h('span.word.target', p.target_word)),
      h('p.muted', `Stars at ${pct(th['1'])} / ${pct(th['2'])} / ${pct(th['3'])}; best possible ${pct(p.optimal_similarity)}`),
      p.domain_vocab && p.domain_vocab.length ? h('p.muted', `Theme: ${p.domain_vocab.join(', ')}`) : null,
      h('h4', 'Allowed cards'),
      h('div.cards#allowed-cards', cards().map((c) => h(`button.chip${st.slots.includes(c) ? '.on' : ''}`,
        { type: 'button', dataset: { card: c }, 'aria-pressed': String(st.slots.includes(c)), onclick: () => toggle(c) }, c))),
      wildcard,
      h('div.slots', slot(0, 'first card'), slot(1, 'second card')),
      h('p.preview', `${p.start_word} ${st.slots[0] ? `${signStr(st.signs[0])} ${st.slots[0]}` : ''} ${st.slots[1] ? `${signStr(st.signs[1])} ${st.slots[1]}` : ''}`),
      h('div.actions',
        h('button.primary#solve', { type: 'button', disabled: st.slots.length !== 2, onclick: (e) => solve(e.target) }, 'Throw'),
        h('button#hint-button', { type: 'button', onclick: () => { st.hint = true; render(); } }, 'Hint'),
        h('button#give-up', { type: 'button', onclick: (e) => giveUp(e.target) }, 'Give up')),
      st.hint ? h('p.hint#hint', p.hint || 'No hint for this one.') : null,
      r ? resultView(p, r) : null,
      // A passing throw shows the best move itself: once is enough (and ids stay unique).
      st.gaveUp && !(r && r.passed && r.best_move) ? gaveUpView(p, st.gaveUp) : null,
      leaderboard()));
  }

  function resultView(p, r) {
    return h('div.result#puzzle-result',
      h('div.figures',
        h('div.figure', h('span.big#puzzle-stars', stars(r.stars)), h('span.muted', r.passed ? 'passed' : `${pct(r.win_threshold)} to pass`)),
        h('div.figure', h('span.big', pct(r.similarity)), h('span.muted', 'similarity')),
        h('div.figure', h('span.big#puzzle-rank', `#${r.rank}`), h('span.muted', 'rank ', tierBadge(r.tier, r.rank))),
        h('div.figure', h('span.big', r.nearest_word || '–'), h('span.muted', 'nearest'))),
      r.improvement !== undefined ? h('p.muted', `${pct(r.start_similarity)} at the start; you moved ${r.improvement >= 0 ? '+' : ''}${pct(r.improvement)}.`) : null,
      contributionBars(r.contributions || []),
      st.viz ? h('figure.viz', drawViz(st.viz, `${p.start_word} → ${p.target_word}`), legend()) : h('p.muted', 'Drawing the move…'),
      r.share_text ? h('div.share', h('input#share-text', { readOnly: true, value: r.share_text, 'aria-label': 'share text' }),
        h('button', { type: 'button', onclick: () => copy(r.share_text) }, 'Copy')) : null,
      r.passed && r.best_move ? movesList('Best move', [r.best_move], r.all_moves) : null,
      r.progress_saved === false && saved.profile() ? h('p.muted', 'Not saved to your profile.') : null,
      tryYourOwn(st.free, {
        start: p.start_word, target: p.target_word, rerender: render,
        context: { kind: 'puzzle', id: String(p.id || id) },
        fallback: () => st.slots.map((w, i) => ({ word: w, sign: st.signs[i] })),
      }));
  }

  function movesList(title, best, all) {
    const line = (m) => {
      const x = normMove(m);
      return `${st.p.start_word} ${signStr(x.pubSign)} ${x.pub} ${signStr(x.privSign)} ${x.priv} — ${pct(x.similarity)}${x.rank ? ` (${rankTier(x.rank, m.tier)})` : ''}`;
    };
    const b = normMove(best[0]);
    return h('div.moves',
      h('h4', title),
      h('p#best-move', { dataset: { public: b.pub, publicSign: b.pubSign, private: b.priv, privateSign: b.privSign } }, line(best[0])),
      all && all.length ? h('details', h('summary', `Top ${all.length} moves`), h('ol', all.map((m) => h('li', line(m))))) : null);
  }

  function gaveUpView(p, g) {
    const best = g.best_move || g;
    return h('div.gave-up#gave-up', movesList('The best move', [best], g.all_moves || g.top_moves));
  }

  function leaderboard() {
    if (!st.board) return null;
    return h('div.leaderboard#leaderboard', h('h4', 'Leaderboard'),
      st.board.length ? h('table', h('thead', h('tr', h('th', h('span.sr-only', 'place')), ['player', 'best', 'stars'].map((t) => h('th', t)))),
        h('tbody', st.board.map((e, i) => h('tr', h('td', String(i + 1)), h('td', e.player_name), h('td', pct(e.best_similarity)), h('td', stars(e.stars))))))
        : h('p.muted', 'Nobody has solved it yet.'));
  }

  render();
  load();
  return () => {};
}
