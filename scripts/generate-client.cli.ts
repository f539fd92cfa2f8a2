import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { clientSchemaPath, currentClientSchemaSource } from './client-schema';

// npm run client:generate: the OpenAPI document from the code (no PostgreSQL, Redis or RabbitMQ needed), its
// types written to packages/client/src/schema.ts.
async function main(): Promise<void> {
  writeFileSync(clientSchemaPath, await currentClientSchemaSource());
  process.stdout.write(`wrote ${path.relative(process.cwd(), clientSchemaPath)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
