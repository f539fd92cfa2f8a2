import { createHash } from 'node:crypto';
import type { CacheRedisCommands } from '../caching/cache-redis';
import { errorMessage } from '../common/errors/error-message';

export interface GcraDecision {
  allowed: boolean;
  /** When refused: how long until one more would be allowed. */
  waitMs: number;
}

/** A Lua script with its SHA-1, by which Redis runs a script it has seen. */
export class RedisScript {
  readonly sha: string;

  constructor(readonly text: string) {
    this.sha = createHash('sha1').update(text).digest('hex');
  }
}

/** The scripts' reply: [1, 0] allowed, [0, wait in ms] refused. */
function decisionOf(reply: unknown): GcraDecision {
  if (!Array.isArray(reply) || reply.length !== 2 || !reply.every((item) => typeof item === 'number')) {
    throw new Error(`unexpected rate limit reply: ${JSON.stringify(reply)}`);
  }
  const [allowed, waitMs] = reply as [number, number];
  return { allowed: allowed === 1, waitMs };
}

/**
 * One decision of a GCRA script of gcra.ts on `client`. Sends the script's hash, and the whole script once when
 * the server does not have it (first call, or after a restart, which forgets scripts).
 */
export async function gcraDecision(
  client: CacheRedisCommands,
  script: RedisScript,
  keys: string[],
  args: string[],
): Promise<GcraDecision> {
  const options = { keys, arguments: args };
  try {
    return decisionOf(await client.evalSha(script.sha, options));
  } catch (error) {
    if (!errorMessage(error).startsWith('NOSCRIPT')) throw error;
    return decisionOf(await client.eval(script.text, options));
  }
}
