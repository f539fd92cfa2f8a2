import { randomBytes } from 'node:crypto';
import { listLeftovers } from './leftovers';
import { testRunNamespace } from './test-names';

/**
 * Global setup of the integration project: tags this run, so that every name its tests make on the shared Redis
 * and RabbitMQ starts with `test-<tag>-` (test/support/test-names.ts; the test workers inherit the variable), and
 * checks that the guard can list what is there (leftovers.teardown.ts lists it again after the last file).
 */
export default async function tagTestRun(): Promise<void> {
  process.env.TEST_RUN_TAG = randomBytes(3).toString('hex');
  await listLeftovers(testRunNamespace(process.env.TEST_RUN_TAG));
}
