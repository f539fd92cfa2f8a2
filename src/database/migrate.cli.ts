import { parseConfig } from '../config/config.schema';
import { migrateDatabase } from './migrate';

async function main(): Promise<void> {
  const config = parseConfig(process.env);
  await migrateDatabase(config.database.directUrl);
  process.stdout.write(`migrations applied to ${new URL(config.database.directUrl).pathname.slice(1)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
