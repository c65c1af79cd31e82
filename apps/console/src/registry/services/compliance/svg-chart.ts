import type { Point } from './collect.js';
import { esc } from './html.js';

const W = 640;
const H = 180;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };
const COLOURS = ['#1f5f9e', '#b4531a', '#2e7d32', '#6a1b9a', '#00838f', '#ad1457'];

const num = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));

/**
 * A line chart as inline SVG, one line per series over time: no script, so it prints and archives as
 * it is. Points without a value break the line.
 */
export function lineChart(title: string, unit: string, series: { label: string; points: Point[] }[]): string {
  const all = series.flatMap((s) => s.points.filter((p) => p.value !== null));
  if (all.length === 0) return `<p class="empty">${esc(title)}: no data in this period.</p>`;
  const times = all.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const vMax = Math.max(...all.map((p) => p.value!), 0) * 1.1 || 1;
  const x = (at: string) => PAD.left + ((Date.parse(at) - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / vMax) * (H - PAD.top - PAD.bottom);
  const lines = series.map((s, i) => {
    const runs: string[][] = [[]];
    for (const p of s.points) {
      if (p.value === null) runs.push([]);
      else runs.at(-1)!.push(`${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`);
    }
    const colour = COLOURS[i % COLOURS.length]!;
    return runs
      .filter((r) => r.length > 0)
      .map((r) => (r.length === 1 ? `<circle cx="${r[0]!.split(',')[0]}" cy="${r[0]!.split(',')[1]}" r="2.5" fill="${colour}"/>` : `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${r.join(' ')}"/>`))
      .join('');
  });
  const legend = series.map((s, i) => `<span class="key" style="color:${COLOURS[i % COLOURS.length]}">&#9632;</span> ${esc(s.label)}`).join(' &nbsp; ');
  return `<figure><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">
<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#999"/>
<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#999"/>
<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end" font-size="10">${num(vMax)}</text>
<text x="${PAD.left - 4}" y="${H - PAD.bottom}" text-anchor="end" font-size="10">0</text>
<text x="${PAD.left}" y="${H - 8}" font-size="10">${esc(new Date(t0).toISOString().slice(0, 16).replace('T', ' '))}</text>
<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end" font-size="10">${esc(new Date(t1).toISOString().slice(0, 16).replace('T', ' '))}</text>
${lines.join('\n')}
</svg><figcaption>${esc(title)} (${esc(unit)}): ${legend}</figcaption></figure>`;
}
