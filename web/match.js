// Matches: create, join, the lobby (live over SSE, polling with ETag when SSE is missing),
// the round, the result, the resolved round and the final table.

import { api, saved, moveViz } from './api.js';
import { drawViz, legend } from './draw.js';
import {
  h, mount, attempt, copy, pct, signStr, signNum, contributionBars, showError, tierBadge, tierText, rankTier, announce,
  signWord, onEnter,
} from './ui.js';

const num = (form, name) => {
  const v = form.elements[name].value.trim();
  return v === '' ? undefined : Number(v);
};

/** Disable a button while an action runs. */
async function busy(button, fn) {
  button.disabled = true;
  try { return await attempt(fn); } finally { button.disabled = false; }
}

export function renderHome(root) {
  const create = h('form.panel#create-form', { onsubmit: onCreate },
    h('h2', 'New match'),
    h('label', 'Match name', h('input', { name: 'name', required: true, maxLength: 50, value: 'Friday game' })),
    h('label', 'Your name', h('input', { name: 'player', required: true, maxLength: 50, autocomplete: 'nickname' })),
    h('details',
      h('summary', 'Settings'),
      h('div.grid',
        h('label', 'Rounds', h('input', { name: 'rounds', type: 'number', min: 1, max: 50, value: 5 })),
        h('label', 'Seconds per round', h('input', { name: 'timeout_secs', type: 'number', min: 10, max: 3600, value: 120 })),
        h('label', 'Public cards', h('input', { name: 'N_public', type: 'number', min: 1, max: 30, value: 10 })),
        h('label', 'Private cards', h('input', { name: 'M_private', type: 'number', min: 1, max: 10, value: 2 })),
        h('label', 'Joker share', h('input', { name: 'wildcard_ratio', type: 'number', min: 0, max: 1, step: 0.05, value: 0.2 })),
        h('label', 'Max players', h('input', { name: 'max_players', type: 'number', min: 1, max: 32, value: 8 })),
        h('label', 'Difficulty', h('select', { name: 'difficulty' },
          h('option', { value: 'easy' }, 'easy'), h('option', { value: 'medium', selected: true }, 'medium'),
          h('option', { value: 'hard' }, 'hard'))))),
    h('button.primary', { type: 'submit' }, 'Create match'));

  const join = h('form.panel#join-form', {
    onsubmit: (e) => {
      e.preventDefault();
      const raw = e.target.elements.code.value.trim();
      const id = raw.includes('/match/') ? raw.split('/match/').pop() : raw;
      if (id) location.hash = `#/match/${encodeURIComponent(id)}`;
    },
  },
  h('h2', 'Join a match'),
  h('label', 'Match link or id', h('input', { name: 'code', required: true })),
  h('button', { type: 'submit' }, 'Open'));

  const levels = [['easy', 0], ['medium', 1], ['hard', 0], ['par', 0]];
  const computer = h('form.panel#computer-form', { onsubmit: onComputer },
    h('h2', 'Play the computer'),
    h('p.muted', 'A match with you and computer players, started at once.'),
    h('label', 'Your name', h('input', { name: 'player', required: true, maxLength: 50, autocomplete: 'nickname', value: 'You' })),
    h('fieldset.bots', h('legend.muted', 'Computer players'),
      levels.map(([level, n]) => h('label', `${level[0].toUpperCase()}${level.slice(1)} bots`,
        h('input', { name: `bots-${level}`, type: 'number', min: 0, max: 7, value: n })))),
    h('label', 'Rounds', h('input', { name: 'rounds', type: 'number', min: 1, max: 50, value: 5 })),
    h('button.primary', { type: 'submit' }, 'Play now'));

  const mine = saved.matches();
  const list = mine.length
    ? h('section.panel', h('h2', 'Your matches'), h('ul.plain', mine.slice(0, 10).map((m) =>
      h('li', h('a', { href: `#/match/${encodeURIComponent(m.id)}` }, m.name || m.id),
        m.host_token ? ' (host)' : '', m.player_name ? ` as ${m.player_name}` : ''))))
    : null;

  mount(root,
    h('section.intro', h('p', 'Throw words at a target word: start from a word, add or subtract one public card and one of your own, and land your ball as close to the target as you can.')),
    computer, h('div.columns', create, join), list);

  async function onComputer(e) {
    e.preventDefault();
    const f = e.target;
    const bots = levels.flatMap(([level]) => Array(Math.max(0, Math.min(7, num(f, `bots-${level}`) || 0))).fill(level));
    if (!bots.length) return showError(new Error('choose at least one computer player'));
    await busy(f.querySelector('button[type=submit]'), async () => {
      const settings = { rounds: num(f, 'rounds') || 5, max_players: bots.length + 1 };
      const created = await api('POST', '/match', { body: { name: 'Against the computer', settings } });
      const id = created.match.id;
      const host = created.host_token;
      saved.saveMatch(id, { host_token: host, name: created.match.name });
      const joined = await api('POST', `/match/${id}/join`, { body: { player_name: f.elements.player.value } });
      saved.saveMatch(id, { player_token: joined.player_token, player_id: joined.player.id, player_name: joined.player.name });
      for (const level of bots) await api('POST', `/match/${id}/bots`, { token: host, body: { level } });
      await api('POST', `/match/${id}/start`, { token: host });
      location.hash = `#/match/${encodeURIComponent(id)}`;
    });
  }

  async function onCreate(e) {
    e.preventDefault();
    const f = e.target;
    const button = f.querySelector('button[type=submit]');
    await busy(button, async () => {
      const settings = {};
      for (const k of ['rounds', 'timeout_secs', 'N_public', 'M_private', 'wildcard_ratio', 'max_players']) {
        const v = num(f, k);
        if (v !== undefined) settings[k] = v;
      }
      settings.difficulty = f.elements.difficulty.value;
      const created = await api('POST', '/match', { body: { name: f.elements.name.value, settings } });
      const id = created.match.id;
      saved.saveMatch(id, { host_token: created.host_token, name: created.match.name });
      const joined = await api('POST', `/match/${id}/join`, { body: { player_name: f.elements.player.value } });
      saved.saveMatch(id, { player_token: joined.player_token, player_id: joined.player.id, player_name: joined.player.name });
      location.hash = `#/match/${encodeURIComponent(id)}`;
    });
  }
}

/** "bot · medium" after a computer player's name. */
function botBadge(level) {
  return level ? h('span.badge.bot', `bot · ${level}`) : null;
}

/** A fresh "try your own words" state. */
export function newFree() {
  return { words: [0, 1, 2].map(() => ({ word: '', sign: 1 })), result: null, scored: null, voted: null, comment: '' };
}

const VOTES = [['more_fun', 'More fun'], ['same', 'Same'], ['too_easy', 'Too easy'], ['odd', 'Odd']];

/** After a round or a puzzle: score 1–3 words of your own (`POST /score`) and vote on the
 *  round (`POST /feedback`, with your words, or `fallback()`'s, as the suggested throw).
 *  `fs` is the state (newFree), kept by the caller across its re-renders. */
export function tryYourOwn(fs, { start, target, context, rerender, fallback }) {
  const typed = () => fs.words.filter((w) => w.word.trim()).map((w) => ({ word: w.word.trim().toLowerCase(), sign: w.sign }));
  async function score(e) {
    e.preventDefault();
    const words = typed();
    if (!words.length) return showError(new Error('write at least one word to throw'));
    await busy(e.target.querySelector('button[type=submit]'), async () => {
      fs.result = await api('POST', '/score', { body: { start, target, words } });
      fs.scored = words;
      announce(`Your words: rank ${fs.result.rank}, ${tierText(fs.result.tier, fs.result.rank)}, similarity ${pct(fs.result.similarity)}.`);
      rerender();
    });
  }
  async function vote(v) {
    const words = typed().length ? typed() : fallback();
    if (!words.length) throw new Error('write a throw of your own first: the vote goes with it');
    const body = { context, start, target, words, vote: v };
    if (fs.comment.trim()) body.comment = fs.comment.trim();
    await api('POST', '/feedback', { body });
    fs.voted = v;
    announce('Thank you: your vote is in.');
    rerender();
  }
  const res = fs.result;
  const line = (words) => `${start} ${words.map((w) => `${signStr(w.sign)} ${w.word}`).join(' ')}`;
  return h('div.free-vote',
    h('form.free#free-throw', { onsubmit: score },
      h('h4', 'Try your own words'),
      h('p.muted', `Any words from ${start} towards ${target}: one to three, each added or subtracted.`),
      h('div.free-row',
        fs.words.map((w, i) => h('div.free-word',
          h('button.sign', {
            type: 'button', id: `free-sign-${i}`, 'aria-label': `${signWord(w.sign)} word ${i + 1}`,
            onclick: () => { w.sign = -w.sign; rerender(); },
          }, signStr(w.sign)),
          h('input', {
            id: `free-word-${i}`, value: w.word, maxLength: 40, autocomplete: 'off', 'aria-label': `word ${i + 1}`,
            oninput: (e) => { w.word = e.target.value; },
          }))),
        h('button.primary', { type: 'submit' }, 'Score my words')),
      res ? h('div.figures#free-result',
        h('div.figure', h('span.preview', line(fs.scored)), h('span.muted', 'your words')),
        h('div.figure', h('span.big#free-rank', `#${res.rank}`), h('span.muted', 'rank ', tierBadge(res.tier, res.rank))),
        h('div.figure', h('span.big', pct(res.similarity)), h('span.muted', 'similarity')),
        h('div.figure', h('span.big', res.nearest || res.nearest_word || '–'), h('span.muted', 'nearest'))) : null),
    h('div.vote#vote',
      h('fieldset',
        h('legend', `Your vote: with words like yours, this ${context.kind === 'match' ? 'round' : context.kind} would be…`),
        h('label', 'Comment (optional)', h('input#vote-comment', {
          value: fs.comment, maxLength: 280, oninput: (e) => { fs.comment = e.target.value; },
        })),
        h('div.actions', VOTES.map(([v, label]) => h('button', {
          type: 'button', dataset: { vote: v }, 'aria-pressed': String(fs.voted === v),
          onclick: (e) => busy(e.target, () => vote(v)),
        }, label)))),
      fs.voted ? h('p#vote-thanks', 'Thank you: your vote is in.') : null));
}

const moveText = (start, mv) => {
  const priv = mv.private_token === 'JOKER' && mv.joker_override_token
    ? `${mv.joker_override_token} (joker)` : mv.private_token;
  return `${start} ${signStr(mv.public_sign)} ${mv.public_token} ${signStr(mv.private_sign)} ${priv}`;
};

/** The match page; returns a function that stops its timers and streams. */
export function renderMatch(root, id) {
  const st = {
    m: null, round: null, roundEtag: null, me: null, seat: saved.match(id),
    sel: { pub: null, pubSign: 1, priv: null, privSign: 1, joker: '' },
    result: null, viz: {}, stopped: false, live: 'connecting', lastRendered: '',
  };
  const timers = [];
  let es = null;
  let pollTimer = null;

  async function refresh() {
    if (st.stopped) return;
    const ok = await attempt(async () => {
      st.m = await api('GET', `/match/${encodeURIComponent(id)}`);
      if (st.m.status !== 'LOBBY' && st.m.current_round_id) {
        const r = await api('GET', `/match/${encodeURIComponent(id)}/round/current`, { etag: st.roundEtag });
        if (!r.notModified) {
          if (st.round && st.round.id !== r.id) {
            st.result = null;
            st.sel = { pub: null, pubSign: 1, priv: null, privSign: 1, joker: '' };
          }
          st.round = r;
          st.roundEtag = r._etag;
          if (r.status === 'RESOLVED' && r.resolution && st.announced !== r.id) {
            st.announced = r.id;
            const top = r.resolution.leaderboard[0];
            announce(top ? `Round ${r.number} is over: ${top.player_name} wins it, rank ${top.rank}, ${tierText(top.tier, top.rank)}.`
              : `Round ${r.number} is over.`);
          }
        }
      }
      if (st.seat.player_token && st.seat.player_id) {
        const p = await api('GET', `/match/${encodeURIComponent(id)}/player/${encodeURIComponent(st.seat.player_id)}`,
          { token: st.seat.player_token });
        st.me = p.player;
      }
      return true;
    }, (e) => {
      // A match that does not exist (or no longer does): stop listening for it.
      if (e.code === 'unknown_match') {
        stop();
        mount(root, h('section.panel', h('p', 'This match does not exist (or no longer does). '),
          h('a', { href: '#/' }, 'Start a new match')));
      }
    });
    if (ok || st.m) render();
  }

  // Live updates: the SSE stream; while it is not open, poll (ETag on the round).
  function startLive() {
    if (typeof EventSource === 'undefined') return startPolling();
    es = new EventSource(`/match/${encodeURIComponent(id)}/events`);
    es.onopen = () => { st.live = 'live'; stopPolling(); markLive(); };
    const onEvent = () => refresh();
    for (const t of ['player_joined', 'round_started', 'move_submitted', 'round_resolved', 'match_finished', 'message']) {
      es.addEventListener(t, onEvent);
    }
    // The server ends the stream after match_finished: close it here too, so the browser does
    // not try to reconnect to a finished match (and the header says so, not "reconnecting").
    es.addEventListener('match_finished', () => {
      if (es) es.close();
      es = null;
      stopPolling();
      st.live = 'over';
      markLive();
    });
    es.onerror = () => {
      if (!es) return;
      if (es.readyState === EventSource.CLOSED) { es = null; st.live = 'polling'; }
      else st.live = 'reconnecting';
      markLive();
      startPolling();
    };
  }

  function startPolling() {
    if (pollTimer || st.stopped) return;
    pollTimer = setInterval(poll, 1500);
  }
  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  }

  async function poll() {
    if (st.stopped) return;
    if (!st.m || st.m.status === 'LOBBY' || !st.round) return refresh();
    try {
      const r = await api('GET', `/match/${encodeURIComponent(id)}/round/current`, { etag: st.roundEtag });
      if (!r.notModified) await refresh();
    } catch (e) {
      showError(e);
    }
  }

  function markLive() {
    const el = root.querySelector('#live');
    if (el) {
      el.textContent = st.live === 'live' ? 'live' : st.live === 'over' ? 'match over'
        : st.live === 'polling' ? 'updating every 1.5 s' : 'reconnecting…';
    }
  }

  function tick() {
    const el = root.querySelector('#countdown');
    if (!el || !st.round) return;
    const left = Math.max(0, st.round.moves_deadline_ts - Math.floor(Date.now() / 1000));
    el.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    el.classList.toggle('urgent', left <= 10);
    const note = root.querySelector('#urgent-note');
    if (note) note.textContent = left === 0 ? 'time is up' : left <= 10 ? 'almost out of time' : '';
    if (left === 0 && st.round.status === 'OPEN' && !st.deadlineRefreshed) {
      st.deadlineRefreshed = true;
      setTimeout(refresh, 1200);
    }
  }

  function render() {
    if (st.stopped) return;
    const key = JSON.stringify([st.m, st.round, st.me, st.seat, st.sel, st.result, st.drawn, st.rtt, Object.keys(st.viz), st.free]);
    if (key === st.lastRendered) return;
    st.lastRendered = key;
    // (mount keeps the focus: typing a joker word while an update lands.)
    mount(root, view());
    markLive();
    tick();
  }

  function view() {
    const m = st.m;
    if (!m) return h('p.muted', 'Loading the match…');
    const link = `${location.origin}/#/match/${encodeURIComponent(m.id)}`;
    const head = h('section.panel.match-head',
      h('h2#match-title', { tabIndex: -1 }, m.name, ' ', h('span.badge', m.status.replace('_', ' ').toLowerCase())),
      h('p.muted', m.status === 'LOBBY' ? 'Lobby' : `Round ${m.round_number} of ${m.settings.rounds}`,
        ' · ', h('span#live', ''), st.seat.player_name ? ` · you are ${st.seat.player_name}` : '',
        st.seat.host_token ? ' · host' : ''),
      h('div.share', h('input#join-link', { readOnly: true, value: link, 'aria-label': 'join link' }),
        h('button', { type: 'button', onclick: () => copy(link) }, 'Copy link')));
    if (m.status === 'LOBBY') return [head, lobby(m)];
    return [head, roundView(), m.status === 'DONE' ? finalTable(m) : standings(m)];
  }

  function lobby(m) {
    const players = h('ul.players#players', m.players.map((p) => h('li', p.name, botBadge(p.bot))));
    const parts = [h('h3', `Players (${m.players.length}/${m.settings.max_players})`), players];
    if (!st.seat.player_token) {
      parts.push(h('form#join-match', { onsubmit: onJoin },
        h('label', 'Your name', h('input', { name: 'player', required: true, maxLength: 50, id: 'join-name' })),
        h('button.primary', { type: 'submit' }, 'Join')));
    }
    if (st.seat.host_token) {
      parts.push(h('button.primary#start', { type: 'button', onclick: (e) => busy(e.target, onStart) }, 'Start the match'));
    } else {
      parts.push(h('p.muted', 'Waiting for the host to start…'));
    }
    return h('section.panel#lobby', parts);
  }

  async function onJoin(e) {
    e.preventDefault();
    const button = e.target.querySelector('button');
    await busy(button, async () => {
      const joined = await api('POST', `/match/${encodeURIComponent(id)}/join`, { body: { player_name: e.target.elements.player.value } });
      st.seat = saved.saveMatch(id, {
        player_token: joined.player_token, player_id: joined.player.id, player_name: joined.player.name, name: joined.match.name,
      });
      await refresh();
    });
  }

  async function onStart() {
    st.round = await api('POST', `/match/${encodeURIComponent(id)}/start`, { token: st.seat.host_token });
    st.roundEtag = null;
    await refresh();
  }

  function roundView() {
    const r = st.round;
    if (!r) return h('p.muted', 'Waiting for the round…');
    const out = [h('div.round-head',
      h('h3', `Round ${r.number}`),
      h('div.words', h('span.word.start', r.start_word), h('span.arrow', '→'), h('span.word.target', r.target_word)),
      r.status === 'OPEN' ? h('div.clock', 'Time left ', h('strong#countdown', ''), h('span.urgent-note#urgent-note', ''))
        : h('div.clock', 'Round over'),
      h('p.muted#submitted-count', `${r.submitted.length} of ${st.m.players.length} have moved`))];
    const me = st.me;
    const result = st.result || (me && me.result);
    if (r.status === 'OPEN' && me && !me.submitted_move && !st.result) out.push(picker(r, me));
    else if (r.status === 'OPEN' && !me) out.push(h('p.muted', 'You are watching: only players move.'));
    if (result) out.push(resultPanel(r, result));
    if (r.status === 'OPEN' && st.seat.host_token) {
      out.push(h('button#resolve', { type: 'button', onclick: (e) => busy(e.target, onResolve) }, 'Resolve the round now'));
    }
    if (r.status === 'RESOLVED' && r.resolution) out.push(resolved(r));
    if (r.status === 'RESOLVED' && st.seat.host_token && st.m.status !== 'DONE') {
      out.push(h('button.primary#next-round', { type: 'button', onclick: (e) => busy(e.target, onNext) }, 'Next round'));
    }
    return h('section.panel#round', out);
  }

  function picker(r, me) {
    const sel = st.sel;
    const set = (patch) => { Object.assign(sel, patch); render(); };
    const card = (token, kind, chosen, sign, pick, flip) => h(`div.card.${kind}${chosen ? '.chosen' : ''}`,
      h('button.pick', { type: 'button', 'aria-pressed': String(chosen), onclick: pick, dataset: { card: token } }, token),
      h('button.sign', { type: 'button', 'aria-label': `${chosen ? signWord(sign) : 'plus or minus'} ${token}`, onclick: flip, dataset: { sign: token } },
        chosen ? signStr(sign) : '±'));
    const pubs = r.public_cards.map((c) => card(c.token, 'public', sel.pub === c.token, sel.pubSign,
      () => set({ pub: c.token }), () => set({ pub: c.token, pubSign: sel.pub === c.token ? -sel.pubSign : sel.pubSign })));
    const privs = me.private_cards.map((c) => card(c.token, c.type === 'JOKER' ? 'joker' : 'private', sel.priv === c.token, sel.privSign,
      () => set({ priv: c.token }), () => set({ priv: c.token, privSign: sel.priv === c.token ? -sel.privSign : sel.privSign })));
    const joker = sel.priv === 'JOKER'
      ? h('label.joker', 'Your joker word', h('input#joker', {
        value: sel.joker, maxLength: 40, autocomplete: 'off', dataset: { enterThrows: '' },
        oninput: (e) => { sel.joker = e.target.value; },
      }))
      : null;
    const preview = sel.pub && sel.priv
      ? h('p.preview', `${r.start_word} ${signStr(sel.pubSign)} ${sel.pub} ${signStr(sel.privSign)} ${sel.priv === 'JOKER' ? (sel.joker || 'joker') : sel.priv}`)
      : h('p.muted', 'Pick one public card and one of yours; tap ± to subtract it.');
    const ready = sel.pub && sel.priv;
    onEnter(() => { const b = root.querySelector('#submit'); if (ready && b && !b.disabled) b.click(); });
    return h('div.picker',
      h('h4', 'Public cards'), h('div.cards#public-cards', pubs),
      h('h4', 'Your cards'), h('div.cards#private-cards', privs), joker, preview,
      h('p.muted', 'Enter throws.'),
      h('button.primary#submit', { type: 'button', disabled: !ready, onclick: (e) => busy(e.target, onSubmit) }, 'Throw'));
  }

  async function onSubmit() {
    const r = st.round, sel = st.sel;
    const body = {
      public_token: sel.pub, public_sign: sel.pubSign < 0 ? '-' : '+',
      private_token: sel.priv, private_sign: sel.privSign < 0 ? '-' : '+',
    };
    if (sel.priv === 'JOKER') body.joker_override_token = sel.joker.trim();
    const t0 = performance.now();
    const res = await api('POST', `/match/${encodeURIComponent(id)}/round/${encodeURIComponent(r.id)}/submit`,
      { body, token: st.seat.player_token });
    st.result = res;
    announce(`Your throw: rank ${res.rank}, ${tierText(res.tier, res.rank)}, similarity ${pct(res.similarity)}.`);
    const mv = { ...body, public_sign: sel.pubSign, private_sign: sel.privSign };
    st.seat = saved.saveMatch(id, { moves: { ...(st.seat.moves || {}), [r.id]: mv } });
    render();
    // Submit-to-result, click to the result on screen (the browser tests report it).
    st.rtt = { round: r.id, ms: (performance.now() - t0).toFixed(1) };
    await refresh();
  }

  async function onResolve() {
    await api('POST', `/match/${encodeURIComponent(id)}/round/${encodeURIComponent(st.round.id)}/resolve`, { token: st.seat.host_token });
    await refresh();
  }

  async function onNext() {
    await api('POST', `/match/${encodeURIComponent(id)}/round/next`, { token: st.seat.host_token });
    await refresh();
  }

  function myMove(r) {
    const stored = st.seat.moves && st.seat.moves[r.id];
    if (stored) return stored;
    const entry = r.resolution && r.resolution.leaderboard.find((e) => e.player_id === st.seat.player_id);
    return entry ? entry.move : null;
  }

  function vizBox(key, r, mv) {
    const box = h('figure.viz', { dataset: { viz: key } });
    const show = (viz) => mount(box, drawViz(viz, `${moveText(r.start_word, mv)} → ${r.target_word}`), legend());
    if (st.viz[key]) show(st.viz[key]);
    else {
      mount(box, h('p.muted', 'Drawing the move…'));
      const privWord = mv.private_token === 'JOKER' ? mv.joker_override_token : mv.private_token;
      moveViz(r.start_word, r.target_word, mv.public_token, mv.public_sign, privWord, mv.private_sign)
        .then((viz) => { st.viz[key] = viz; show(viz); })
        .catch((e) => mount(box, h('p.error-inline', `Cannot draw the move: ${e.message}`)));
    }
    return box;
  }

  function resultPanel(r, res) {
    const mv = myMove(r);
    return h('div.result#result', { dataset: st.rtt && st.rtt.round === r.id ? { rtt: st.rtt.ms } : {} },
      h('h4', 'Your throw'),
      mv ? h('p.preview', moveText(r.start_word, mv)) : null,
      h('div.figures',
        h('div.figure', h('span.big#rank', `#${res.rank}`), h('span.muted', 'rank ', tierBadge(res.tier, res.rank))),
        h('div.figure', h('span.big#similarity', pct(res.similarity)), h('span.muted', 'similarity')),
        h('div.figure', h('span.big#nearest', res.nearest), h('span.muted', `nearest (${pct(res.nearest_sim)})`))),
      contributionBars(res.contributions),
      mv ? vizBox(`${r.id}:me`, r, mv) : null);
  }

  function resolved(r) {
    const res = r.resolution;
    const par = Object.fromEntries(res.best_moves.map((b) => [b.player_id, b]));
    const rows = res.leaderboard.map((e, i) => {
      const p = par[e.player_id];
      return h(`tr${e.player_id === st.seat.player_id ? '.me' : ''}`,
        h('td', String(i + 1)), h('td', e.player_name, botBadge(botOf(e.player_id))), h('td.move', moveText(r.start_word, e.move)),
        h('td', pct(e.similarity)), h('td.rank', `#${e.rank}`), h('td.tier-cell', tierBadge(e.tier, e.rank)), h('td', e.nearest),
        h('td.par', p ? `${moveText(r.start_word, p.move)} — ${pct(p.similarity)} (${rankTier(p.rank, p.tier)})` : '–'),
        h('td', h('button.link', { type: 'button', onclick: () => { st.drawn = e.player_id; render(); } }, 'draw')));
    });
    const missing = st.m.players.filter((p) => !res.leaderboard.some((e) => e.player_id === p.id));
    const drawn = st.drawn && res.leaderboard.find((e) => e.player_id === st.drawn);
    return h('div.resolved#resolution',
      h('h4', 'Everyone\'s throws'),
      h('div.scroll', { tabIndex: 0, role: 'region', 'aria-label': 'everyone\'s throws' }, h('table',
        h('thead', h('tr', h('th', h('span.sr-only', 'place')),
          ['player', 'move', 'similarity', 'rank', 'tier', 'nearest', 'par (best possible)'].map((t) => h('th', t)),
          h('th', h('span.sr-only', 'picture')))),
        h('tbody', rows))),
      missing.length ? h('p.muted', `No move from ${missing.map((p) => p.name).join(', ')}.`) : null,
      drawn ? h('div', h('h4', `${drawn.player_name}'s throw`), vizBox(`${r.id}:${drawn.player_id}`, r, drawn.move)) : null,
      freeThrowFor(r));
  }

  const botOf = (pid) => { const p = st.m.players.find((x) => x.id === pid); return p && p.bot; };

  /** "Try your own words" and the vote, after a round (its state kept per round). */
  function freeThrowFor(r) {
    if (!st.free || st.free.round !== r.id) st.free = { ...newFree(), round: r.id };
    const mv = myMove(r);
    return tryYourOwn(st.free, {
      start: r.start_word, target: r.target_word, rerender: render,
      context: { kind: 'match', id, round_id: r.id },
      fallback: () => (mv ? [
        { word: mv.public_token, sign: signNum(mv.public_sign) },
        { word: mv.private_token === 'JOKER' ? mv.joker_override_token : mv.private_token, sign: signNum(mv.private_sign) },
      ].filter((w) => w.word) : []),
    });
  }

  function standings(m) {
    if (!m.standings || !m.standings.length) return null;
    return h('section.panel#standings', h('h3', 'Standings'), standingsTable(m));
  }

  function standingsTable(m) {
    return h('table', h('thead', h('tr', h('th', h('span.sr-only', 'place')), h('th', 'player'), h('th', 'points'), h('th', 'total similarity'))),
      h('tbody', m.standings.map((s, i) => h(`tr${s.player_id === st.seat.player_id ? '.me' : ''}`,
        h('td', String(i + 1)), h('td', s.player_name, botBadge(botOf(s.player_id))), h('td', String(s.points)), h('td', s.total_similarity.toFixed(3))))));
  }

  function finalTable(m) {
    const winner = m.standings && m.standings[0];
    return h('section.panel#final', h('h3', 'Final table'),
      winner ? h('p.winner', `${winner.player_name} wins!`) : null, standingsTable(m),
      h('p', h('a', { href: '#/' }, 'Play again')));
  }

  function stop() {
    st.stopped = true;
    timers.forEach(clearInterval);
    stopPolling();
    if (es) es.close();
  }

  timers.push(setInterval(tick, 1000));
  refresh().then(() => { if (!st.stopped) startLive(); });
  return stop;
}
