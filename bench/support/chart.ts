/**
 * The report's chart: throughput and p99 latency per scenario, as a Vega-Lite spec compiled by vega-lite and
 * rendered to SVG by vega's headless View (no canvas, no browser).
 */
import type { TopLevelSpec } from 'vega-lite';

export interface ChartRow {
  scenario: string;
  /** `all` (one process), `api + worker + relay`, or `pgbench`. */
  roles: string;
  /** Reads and writes are charted apart: their rates differ by two orders of magnitude. */
  group: 'reads' | 'writes';
  /** Requests per second (payments per second for ceiling-db and sustained). */
  throughput: number;
  p99Ms: number;
}

const barWidth = 300;
const rowHeight = 22;
const legendLabelLimit = 300;

export async function renderChart(rows: readonly ChartRow[], title: string, subtitle: string): Promise<string> {
  // ES modules with top-level await: import(), not require() (swc-register.mts leaves import() to Node).
  const { parse, View } = await import('vega');
  const { compile } = await import('vega-lite');
  const y = { field: 'scenario', type: 'nominal', sort: null, title: null } as const;
  const color = {
    field: 'roles',
    type: 'nominal',
    title: 'app processes',
    legend: { orient: 'bottom', labelLimit: legendLabelLimit },
  } as const;
  const panel = (group: ChartRow['group'], field: 'throughput' | 'p99Ms', heading: string, format: string) => ({
    title: heading,
    width: barWidth,
    height: { step: rowHeight },
    transform: [{ filter: { field: 'group', equal: group } }],
    layer: [
      { mark: 'bar', encoding: { y, x: { field, type: 'quantitative', title: null }, color } },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
        encoding: { y, x: { field, type: 'quantitative' }, text: { field, type: 'quantitative', format } },
      },
    ],
  });
  const row = (group: ChartRow['group'], what: string) => ({
    hconcat: [
      panel(group, 'throughput', `${what}: throughput (per second)`, ',.0f'),
      panel(group, 'p99Ms', `${what}: p99 latency (ms)`, ',.1f'),
    ],
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle },
    data: { values: rows },
    vconcat: [row('writes', 'writes (payments)'), row('reads', 'reads')],
    resolve: { scale: { color: 'shared' } },
    config: { font: 'sans-serif', view: { stroke: null } },
  } as TopLevelSpec;
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
