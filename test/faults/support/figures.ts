import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const resultsDirectory = path.resolve(__dirname, '..', 'results');

/** One fault test's figures, as the report (scripts/reliability-report.ts) reads them. */
export interface FaultFigures {
  name: string;
  title: string;
  load: string;
  fault: string;
  /** Payments the API acknowledged that are missing or never became final. */
  lost: number;
  /** Settled or charged more than once, or created twice under one key. */
  duplicated: number;
  serverErrors: number;
  /** From the end of the fault until every acknowledged payment (or event) was through; null if never. */
  recoverySeconds: number | null;
  /** Every guarantee the test found broken, in words; empty when it passed. */
  failures: string[];
  details: Record<string, unknown>;
  finishedAt: string;
}

export type FiguresDraft = Omit<FaultFigures, 'finishedAt' | 'failures'> & { failures?: string[] };

/** Prints the test's one line of figures and writes them to test/faults/results/<name>.json. */
export function recordFigures(draft: FiguresDraft): FaultFigures {
  const figures: FaultFigures = { ...draft, failures: draft.failures ?? [], finishedAt: new Date().toISOString() };
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(path.join(resultsDirectory, `${figures.name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
  const recovery = figures.recoverySeconds === null ? 'never' : `${figures.recoverySeconds.toFixed(1)} s`;
  process.stdout.write(
    `[fault] ${figures.name}: load ${figures.load} | fault ${figures.fault} | lost ${figures.lost} | ` +
      `settled twice ${figures.duplicated} | 5xx ${figures.serverErrors} | recovery ${recovery}` +
      `${figures.failures.length > 0 ? ` | FAILED: ${figures.failures.join('; ')}` : ''}\n`,
  );
  return figures;
}

/**
 * Runs one fault scenario: `body` fills in the figures and the broken guarantees it finds; they are recorded
 * whatever happens (an exception becomes one more failure), then the test fails if any guarantee broke.
 */
export async function runFault(
  base: Pick<FaultFigures, 'name' | 'title' | 'load' | 'fault'>,
  body: (figures: FiguresDraft & { failures: string[] }) => Promise<void>,
): Promise<void> {
  const figures: FiguresDraft & { failures: string[] } = {
    ...base,
    lost: 0,
    duplicated: 0,
    serverErrors: 0,
    recoverySeconds: null,
    failures: [],
    details: {},
  };
  try {
    await body(figures);
  } catch (error) {
    figures.failures.push(`error: ${error instanceof Error ? error.message.slice(0, 2_000) : String(error)}`);
  }
  const recorded = recordFigures(figures);
  expect(recorded.failures).toEqual([]);
}
