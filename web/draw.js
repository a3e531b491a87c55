// The move drawn: the 2-D PCA picture from the visualise endpoints, as SVG.

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const ORDER = ['neighbor', 'word', 'nearest', 'public', 'private', 'start', 'target', 'result'];

/** An <svg> of `viz` ({points, intermediate_steps, variance_explained}). */
export function drawViz(viz, title = 'The move in word space') {
  const W = 480, H = 320, PAD = 36;
  const pts = viz.points || [];
  const steps = viz.intermediate_steps || [];
  const xs = pts.map((p) => p.x).concat(steps.map((p) => p.x));
  const ys = pts.map((p) => p.y).concat(steps.map((p) => p.y));
  const [x0, x1] = [Math.min(...xs, 0), Math.max(...xs, 0)];
  const [y0, y1] = [Math.min(...ys, 0), Math.max(...ys, 0)];
  const span = Math.max(x1 - x0, y1 - y0, 1e-6);
  const sx = (x) => PAD + ((x - x0) / span) * (W - 2 * PAD) + ((span - (x1 - x0)) / span) * (W - 2 * PAD) / 2;
  const sy = (y) => H - PAD - ((y - y0) / span) * (H - 2 * PAD) - ((span - (y1 - y0)) / span) * (H - 2 * PAD) / 2;

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'court', role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  svg.append(s('rect', { x: 1, y: 1, width: W - 2, height: H - 2, rx: 12, class: 'court-bg' }));
  const defs = s('defs');
  const marker = s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }));
  defs.append(marker);
  svg.append(defs);

  // The target's pull: a faint ring around it.
  const target = pts.find((p) => p.type === 'target');
  if (target) svg.append(s('circle', { cx: sx(target.x), cy: sy(target.y), r: 18, class: 'jack-ring' }));

  // The throw: start → start ± public → ball.
  for (let i = 1; i < steps.length; i++) {
    const a = steps[i - 1], b = steps[i];
    const line = s('line', { x1: sx(a.x), y1: sy(a.y), x2: sx(b.x), y2: sy(b.y), class: 'step', 'marker-end': 'url(#arrow)' });
    line.append(s('title', {}, b.label + (b.similarity !== undefined ? ` (${b.similarity.toFixed(3)} to the target)` : '')));
    svg.append(line);
  }

  // Labels are placed most important first (the ball, the target, the start, the cards…), each
  // on the first side of its point where it overlaps no label or point already there; a
  // neighbour's label that fits nowhere is left out (its point keeps its tooltip).
  const dots = pts.map((p) => ({ p, x: sx(p.x), y: sy(p.y), r: p.type === 'neighbor' ? 3 : p.type === 'result' ? 7 : 5 }));
  const taken = dots.map((d) => box(d.x - d.r, d.y - d.r, d.x + d.r, d.y + d.r, d));
  taken.push(box(W - 220, H - 22, W, H)); // the caption
  const labels = new Map();
  for (const d of [...dots].sort((a, b) => ORDER.indexOf(b.p.type) - ORDER.indexOf(a.p.type))) {
    const text = d.p.type === 'result' ? 'ball' : d.p.word;
    const w = text.length * (d.p.type === 'neighbor' ? 6.5 : 7.5);
    const sides = placements(d, w);
    if (d.x > W * 0.7) sides.unshift(sides.splice(1, 1)[0]); // right third: left side first
    const inside = sides.filter((c) => c.b.x0 >= 2 && c.b.x1 <= W - 2 && c.b.y0 >= 2 && c.b.y1 <= H - 2);
    const cost = (c) => taken.reduce((a, t) => (t.owner === d ? a : a + overlap(c.b, t)), 0);
    let best = inside.find((c) => cost(c) === 0);
    if (!best && d.p.type !== 'neighbor') {
      best = (inside.length ? inside : sides).reduce((a, c) => (cost(c) < cost(a) ? c : a));
    }
    if (!best) continue;
    taken.push(best.b);
    labels.set(d, { text, ...best });
  }

  for (const d of [...dots].sort((a, b) => ORDER.indexOf(a.p.type) - ORDER.indexOf(b.p.type))) {
    const p = d.p;
    const g = s('g', { class: `pt pt-${p.type}` });
    g.append(s('circle', { cx: d.x, cy: d.y, r: d.r }));
    const l = labels.get(d);
    if (l) g.append(s('text', { x: l.x, y: l.y, 'text-anchor': l.anchor }, l.text));
    g.append(s('title', {}, `${p.word} (${p.type})` + (p.similarity !== undefined ? ` — ${p.similarity.toFixed(3)}` : '')));
    svg.append(g);
  }
  const ve = viz.variance_explained || [0, 0];
  svg.append(s('text', { x: W - 8, y: H - 8, class: 'caption', 'text-anchor': 'end' },
    `PCA: ${(100 * (ve[0] + ve[1])).toFixed(0)}% of the variance shown`));
  return svg;
}

function box(x0, y0, x1, y1, owner) {
  return { x0, y0, x1, y1, owner };
}

function overlap(a, b) {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Where a label `w` wide may go around its dot: right, left, above, below (text baseline
 * at `y`; the box is what the text covers). */
function placements(d, w) {
  const { x, y, r } = d;
  return [
    { x: x + r + 3, y: y + 4, anchor: 'start', b: box(x + r + 3, y - 6, x + r + 3 + w, y + 6) },
    { x: x - r - 3, y: y + 4, anchor: 'end', b: box(x - r - 3 - w, y - 6, x - r - 3, y + 6) },
    { x, y: y - r - 4, anchor: 'middle', b: box(x - w / 2, y - r - 15, x + w / 2, y - r - 2) },
    { x, y: y + r + 12, anchor: 'middle', b: box(x - w / 2, y + r + 1, x + w / 2, y + r + 15) },
  ];
}

/** A legend for the picture. */
export function legend() {
  const div = document.createElement('div');
  div.className = 'legend';
  for (const [type, name] of [['start', 'start'], ['target', 'target'], ['public', 'public card'],
    ['private', 'private card'], ['result', 'your ball'], ['neighbor', 'nearby words']]) {
    const item = document.createElement('span');
    item.className = `key pt-${type}`;
    item.textContent = name;
    div.append(item);
  }
  return div;
}
