import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLOURS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2'];

/**
 * A line chart (uPlot: small, fast, canvas) with the same numbers as a table for screen readers and
 * for people who would rather read: x is version numbers or times (seconds since the epoch).
 */
export function Chart({ title, x, series, time = false, width = 640, height = 220 }: { title: string; x: number[]; series: { label: string; values: (number | null)[] }[]; time?: boolean; width?: number; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current || x.length === 0) return;
    const plot = new uPlot(
      {
        width,
        height,
        scales: { x: { time } },
        axes: [{ label: time ? undefined : 'version' }, {}],
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: x.length < 50 } }))],
      },
      [x, ...series.map((s) => s.values)] as uPlot.AlignedData,
      box.current,
    );
    return () => plot.destroy();
  }, [x, series, time, width, height]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      {x.length === 0 ? <p className="empty">No data yet.</p> : <div ref={box} aria-hidden="true" />}
      <details>
        <summary>{title}: the numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{time ? 'time' : 'version'}</th>
              {series.map((s) => (
                <th key={s.label} scope="col">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {x.map((v, i) => (
              <tr key={v}>
                <td>{time ? new Date(v * 1000).toISOString() : v}</td>
                {series.map((s) => (
                  <td key={s.label}>{s.values[i] ?? '–'}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
