import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

// Issue #12 item 7: the boundary check `npm run lint` runs, on a fixture with one break of each rule.
const run = promisify(execFile);
const script = path.join(__dirname, '..', 'scripts', 'check-boundaries.mjs');

async function check(root: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [script, root]);
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, output: failed.stdout };
  }
}

describe('module boundaries check', () => {
  it('reports a folder-level loop made of different files, an infrastructure import of a feature, and a feature reaching into another one', async () => {
    const { code, output } = await check(path.join(__dirname, 'fixtures', 'boundaries'));
    expect(code).toBe(1);
    expect(output).toContain('no-folder-loop: src/ledger → src/merchants → src/ledger');
    expect(output).toContain(
      'infrastructure-imports-no-feature: src/config/app-config.ts → src/ledger/ledger.service.ts',
    );
    expect(output).toContain('feature-internals: src/merchants/merchant.presenter.ts → src/ledger/ledger-helpers.ts');
    // A feature's public service is no violation by itself.
    expect(output).not.toContain('feature-internals: src/ledger/ledger.service.ts');
  });
});
