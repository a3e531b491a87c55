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

  const sorted = [...pts].sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
  for (const p of sorted) {
    const g = s('g', { class: `pt pt-${p.type}` });
    const r = p.type === 'neighbor' ? 3 : p.type === 'result' ? 7 : 5;
    g.append(s('circle', { cx: sx(p.x), cy: sy(p.y), r }));
    const label = p.type === 'result' ? 'ball' : p.word;
    // Labels on the right third go left of their point, so they stay inside the court.
    const left = sx(p.x) > W * 0.7;
    g.append(s('text', { x: sx(p.x) + (left ? -(r + 3) : r + 3), y: sy(p.y) + 4, 'text-anchor': left ? 'end' : 'start' }, label));
    g.append(s('title', {}, `${p.word} (${p.type})` + (p.similarity !== undefined ? ` — ${p.similarity.toFixed(3)}` : '')));
    svg.append(g);
  }
  const ve = viz.variance_explained || [0, 0];
  svg.append(s('text', { x: W - 8, y: H - 8, class: 'caption', 'text-anchor': 'end' },
    `PCA: ${(100 * (ve[0] + ve[1])).toFixed(0)}% of the variance shown`));
  return svg;
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
