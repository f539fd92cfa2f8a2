import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { testName } from './test-names';

const run = promisify(execFile);
const rabbitmqctlTimeoutMs = 30_000;

export interface RabbitmqUser {
  /** The shared RabbitMQ reached as this user, as a production deployment would (never guest). */
  url: string;
  remove(): Promise<void>;
}

/**
 * A RabbitMQ user of the test's own with a random password, for production-mode apps, which refuse guest/guest.
 * Made with rabbitmqctl on the machine's broker (adding a user breaks nothing else) and removed again.
 */
export async function createRabbitmqUser(): Promise<RabbitmqUser> {
  const name = testName();
  const password = randomBytes(18).toString('hex');
  const ctl = (...args: string[]) => run('rabbitmqctl', args, { timeout: rabbitmqctlTimeoutMs });
  await ctl('add_user', name, password);
  await ctl('set_permissions', '-p', '/', name, '.*', '.*', '.*');
  return {
    url: `amqp://${name}:${password}@127.0.0.1:5672`,
    async remove() {
      await ctl('delete_user', name);
    },
  };
}
