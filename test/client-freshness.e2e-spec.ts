import { readFileSync } from 'node:fs';
import path from 'node:path';
import { clientSchemaPath, clientSchemaSource } from '../scripts/client-schema';
import { openApiDocumentWithoutServices } from '../src/openapi-document';
import { startTestApp, type TestApp } from './support/test-app';

/** The first line where two texts differ, to say where without printing two 800-line files. */
function firstDifference(committed: string, current: string): string {
  const committedLines = committed.split('\n');
  const currentLines = current.split('\n');
  const at = committedLines.findIndex((line, index) => line !== currentLines[index]);
  const index = at === -1 ? committedLines.length : at;
  return `line ${index + 1}: committed ${JSON.stringify(committedLines[index])}, current ${JSON.stringify(currentLines[index])}`;
}

describe('the committed client (packages/client)', () => {
  let subject: TestApp;
  let document: object;

  beforeAll(async () => {
    subject = await startTestApp();
    document = await openApiDocumentWithoutServices();
  });

  afterAll(async () => {
    await subject?.close();
  });

  it('is generated from the document the running app serves (the generator needs no services)', async () => {
    const served = await subject.inject({ method: 'GET', url: '/docs-json' });
    expect(served.statusCode).toBe(200);
    // JSON on both sides: the served document went through JSON, the built one is objects.
    expect(served.json()).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it('has the types of the current code', async () => {
    const committed = readFileSync(clientSchemaPath, 'utf8');
    const current = await clientSchemaSource(document);
    if (committed !== current) {
      throw new Error(
        `${path.relative(process.cwd(), clientSchemaPath)} is stale: the OpenAPI document of the current code gives ` +
          `other types (${firstDifference(committed, current)}). Run \`npm run client:generate\` and commit the result.`,
      );
    }
  });
});
