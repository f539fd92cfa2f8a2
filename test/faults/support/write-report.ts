import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The fault project's global teardown: docs/reliability.md is regenerated from the results the run just wrote. */
export default function writeReport(): void {
  const script = path.resolve(__dirname, '..', '..', '..', 'scripts', 'reliability-report.mts');
  const result = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (result.status !== 0) process.stderr.write(`reliability report not written (exit ${result.status})\n`);
}
