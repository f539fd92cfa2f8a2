import type { FastifyReply } from 'fastify';
import type { Tx } from '../database/database';
import { IdempotencyService, type IdempotentResponse } from './idempotency.service';
import type { IdempotentGroup } from './idempotent-group';

/** What makes one request idempotent, read from the request and its route before the handler runs. */
export interface IdempotentCallRequest {
  /** The merchant id, or `operator` on operator routes. */
  scope: string;
  /** The `Idempotency-Key` header as the client sent it (checked when the call runs). */
  keyHeader: string | string[] | undefined;
  /** Whether the route refuses a request without a key (payment and refund creation). */
  keyRequired: boolean;
  method: string;
  /** The matched path, parameters filled in (see routePathOf). */
  path: string;
  /** The body as the client sent it, before validation: the fingerprint is of the request, not of its reading. */
  body: unknown;
  /** The route's own status (its @HttpCode), which a successful first answer carries. */
  successStatus: number;
  reply: FastifyReply;
}

export interface IdempotentCallOptions {
  /**
   * Checks to make once the key is known valid and before it is claimed: what they refuse is not stored as the key's
   * answer (a retry may succeed later), and no transaction is held while they wait (a DNS lookup, say).
   */
  beforeClaim?: () => Promise<void>;
}

/**
 * One idempotent request, handed to its handler by `@Idempotent()`: the handler passes its business call, and the
 * call runs at most once per key in a transaction that also stores its response; a replay is answered from that.
 */
export class IdempotentCall {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly request: IdempotentCallRequest,
  ) {}

  /**
   * Runs `work` (or replays what it answered before) and returns the body to send, with the reply's status set and,
   * on a replay, `Idempotent-Replayed: true`.
   */
  async run(work: (tx: Tx) => Promise<unknown>, options: IdempotentCallOptions = {}): Promise<unknown> {
    const { scope, method, path, body, successStatus } = this.request;
    const key = IdempotencyService.keyFrom(this.request.keyHeader, this.request.keyRequired);
    if (options.beforeClaim) await options.beforeClaim();
    const response = await this.idempotency.execute({ scope, key, method, path, body }, async (tx) => ({
      status: successStatus,
      body: await work(tx),
    }));
    return this.answer(response);
  }

  /**
   * Runs `item` through `group` (group commit: written in one transaction with the concurrent requests of the same
   * route) with the same contract as `run`. The route must require a key.
   */
  async runGrouped<Item>(group: IdempotentGroup<Item>, item: Item): Promise<unknown> {
    const { scope, method, path, body, successStatus } = this.request;
    const key = IdempotencyService.keyFrom(this.request.keyHeader, true);
    if (key === undefined) throw new Error('a grouped idempotent route requires its key');
    return this.answer(await group.execute({ scope, key, method, path, body, successStatus, item }));
  }

  private answer(response: IdempotentResponse): unknown {
    const { reply } = this.request;
    void reply.status(response.status);
    if (response.replayed) void reply.header('Idempotent-Replayed', 'true');
    return response.body;
  }
}
