import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Issue #12: infrastructure finds what features declare (queues through the QueueRegistry, metrics on the
// MetricsRegistry) instead of importing them, so adding a feature never means editing metrics or queueing.
const features = [
  'events',
  'idempotency',
  'ledger',
  'maintenance',
  'merchants',
  'outbox',
  'payments',
  'refunds',
  'webhooks',
];
const infrastructure = ['metrics', 'queueing'];

function importedFolders(folder: string): { file: string; imported: string }[] {
  const directory = path.join(__dirname, '..', folder);
  return readdirSync(directory)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .flatMap((file) => {
      const source = readFileSync(path.join(directory, file), 'utf8');
      return [...source.matchAll(/from '\.\.\/([^/']+)/g)].map((match) => ({ file, imported: match[1]! }));
    });
}

describe.each(infrastructure)('src/%s', (folder) => {
  it('imports no feature folder', () => {
    const featureImports = importedFolders(folder).filter(({ imported }) => features.includes(imported));
    expect(featureImports).toEqual([]);
  });
});
