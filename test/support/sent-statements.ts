import { Client } from 'pg';

/** The text of every statement this process's PostgreSQL clients send, from now until `stop()`: to count round trips. */
export interface SentStatements {
  readonly sent: string[];
  stop(): void;
}

export function recordSentStatements(): SentStatements {
  const sent: string[] = [];
  const original = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;
  Client.prototype.query = function recordedQuery(this: Client, ...args: unknown[]): unknown {
    const query = args[0];
    sent.push(typeof query === 'string' ? query : String((query as { text?: string }).text));
    return original.apply(this, args);
  } as Client['query'];
  return {
    sent,
    stop: () => {
      Client.prototype.query = original as Client['query'];
    },
  };
}
