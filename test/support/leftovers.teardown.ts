import { describeLeftovers, leftoverCount, listLeftovers, removeLeftovers } from './leftovers';
import { testRunNamespace } from './test-names';

/**
 * Global teardown of the integration project: fails the run when its test files left keys in the shared Redis or
 * queues, exchanges or users in RabbitMQ, naming each file with what it left, and removes them. Only this run's
 * names are looked at (see leftovers.setup.ts), so runs of others on the same servers never make it fail.
 */
export default async function failOnLeftovers(): Promise<void> {
  const namespace = testRunNamespace(process.env.TEST_RUN_TAG);
  const leftovers = await listLeftovers(namespace);
  if (leftoverCount(leftovers) === 0) return;
  await removeLeftovers(leftovers);
  throw new Error(
    `${describeLeftovers(namespace, leftovers)}\n` +
      'Each test removes what it makes: startTestApp removes its own names on close, and names made with ' +
      'newTestNamespace are removed by its remove() once every app using them has closed (test/support/test-names.ts).',
  );
}
