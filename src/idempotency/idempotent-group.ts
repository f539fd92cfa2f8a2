import { CombinedWrite } from '../database/combined-write';
import type { Database, Tx } from '../database/database';
import { GroupCommit, type ItemOutcome } from '../database/group-commit';
import {
  claimIdOf,
  IdempotencyService,
  type IdempotentRequest,
  type IdempotentResponse,
  type StoredResponse,
} from './idempotency.service';
import { isKeyTakenError } from './key-taken-error';

/**
 * The business write of a group: every item of a batch at once, in `writes.tx` (multi-row statements; writes whose
 * rows it does not read go into `writes`, sent with the claims and stored responses in one statement), answering
 * one response body per item in the items' order. It must not refuse one item with an error: an error rolls the whole
 * batch back, and each item is then written apart through the single-request path (where a refusal is stored as
 * the key's answer, as for any idempotent request).
 */
export type GroupWrite<Item> = (writes: CombinedWrite, items: readonly Item[]) => Promise<readonly unknown[]>;

export interface IdempotentGroupOptions<Item> {
  write: GroupWrite<Item>;
  /** Requests per batch at most. */
  maxBatch: number;
  /** Batches writing at once at most (each holds one database connection while it writes). */
  maxInFlight: number;
  /** The span of a batch's transaction, when tracing is on. */
  name?: string;
}

/** One request of a group, its key known valid (a grouped route requires one). */
export interface GroupedRequest<Item> extends IdempotentRequest {
  key: string;
  /** The route's status for a first answer. */
  successStatus: number;
  item: Item;
}

interface Fingerprinted<Item> extends GroupedRequest<Item> {
  fingerprint: string;
}

/** What a batch's transaction decided: answers for the keys it claimed, and who must read another's answer. */
type BatchDecision = ({ answer: ItemOutcome<IdempotentResponse> } | { readStoredKey: true })[];

/**
 * Idempotent requests written by group commit (see GroupCommit): concurrent requests of one route share one
 * transaction, whose one statement inserts their keys with their responses and their business rows (multi-row
 * statements as CTEs); a key with a row already makes the batch claim first, store after (writeBatch). The
 * contract is the single-request path's (IdempotencyService.execute):
 *
 * - a key already stored is replayed (or 422 for a different request), one still in flight gets 409;
 * - two requests of one batch with the same key: the first is written, the second answered from what it stored
 *   (replayed, or 422 for a different request), as a request just after it would be;
 * - a 2xx means committed: every caller is answered only after its batch's commit;
 * - a batch the database refuses is written again one request at a time, through `execute`, so that only the
 *   request at fault fails.
 */
export class IdempotentGroup<Item> {
  private readonly commits: GroupCommit<Fingerprinted<Item>, IdempotentResponse>;

  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly database: Database,
    private readonly options: IdempotentGroupOptions<Item>,
  ) {
    this.commits = new GroupCommit({
      maxBatch: options.maxBatch,
      maxInFlight: options.maxInFlight,
      name: options.name,
      runBatch: (requests) => this.writeBatch(requests),
      runAlone: (request) => this.writeAlone(request),
    });
  }

  execute(request: GroupedRequest<Item>): Promise<IdempotentResponse> {
    return this.commits.submit({ ...request, fingerprint: this.idempotency.fingerprintOf(request) });
  }

  /** Requests waiting for a batch and batches writing (for tests and metrics). */
  get pending(): { waiting: number; inFlight: number } {
    return this.commits.pending;
  }

  /**
   * Most batches hold only new keys: their claims, business rows and responses go in one statement (claimStoredManyTo,
   * then the business write's parts), so a batch costs one round trip between BEGIN and COMMIT. A key that already
   * has a row fails that statement as a whole; the batch is then written again claiming first (claimMany), which
   * answers each key as the contract says (replayed, 409, 422, or claimed anew once expired or abandoned).
   */
  private async writeBatch(requests: readonly Fingerprinted<Item>[]): Promise<ItemOutcome<IdempotentResponse>[]> {
    let decisions: BatchDecision;
    try {
      decisions = await this.database.transaction((tx) => this.writeNewKeys(tx, requests));
    } catch (error) {
      if (!isKeyTakenError(error)) throw error;
      decisions = await this.database.transaction((tx) => this.writeClaimingFirst(tx, requests));
    }
    return this.answered(requests, decisions);
  }

  /** The batch's first requests of each key, and a read of the stored answer for each later one. */
  private firstOfEachKey(requests: readonly Fingerprinted<Item>[]): {
    decided: BatchDecision;
    claimants: Fingerprinted<Item>[];
  } {
    const decided: BatchDecision = [];
    const first = new Set<string>();
    const claimants: Fingerprinted<Item>[] = [];
    for (const request of requests) {
      const claimId = claimIdOf(request.scope, request.key);
      // A second request of the batch with the same key is answered as any later request with the key is:
      // from what the first one stored (this batch's commit, or another request's).
      decided.push({ readStoredKey: true });
      if (first.has(claimId)) continue;
      first.add(claimId);
      claimants.push(request);
    }
    return { decided, claimants };
  }

  /** The business write for `winners`, checked to answer one body each, as the responses to store. */
  private async responsesOf(writes: CombinedWrite, winners: readonly Fingerprinted<Item>[]): Promise<StoredResponse[]> {
    const bodies =
      winners.length > 0
        ? await this.options.write(
            writes,
            winners.map((request) => request.item),
          )
        : [];
    if (bodies.length !== winners.length) {
      throw new Error(`a group write answered ${bodies.length} bodies for ${winners.length} requests`);
    }
    return winners.map((request, index) => ({
      scope: request.scope,
      key: request.key,
      status: request.successStatus,
      body: bodies[index],
    }));
  }

  /** Each request's answer: the response its batch stored for it, or the one stored for its key, read now. */
  private decisionsFor(
    requests: readonly Fingerprinted<Item>[],
    decided: BatchDecision,
    winners: readonly Fingerprinted<Item>[],
    responses: readonly StoredResponse[],
  ): BatchDecision {
    const answered = new Map(winners.map((request, index) => [request, responses[index]!]));
    return requests.map((request, index) => {
      const response = answered.get(request);
      if (response)
        return { answer: { ok: true, value: { status: response.status, body: response.body, replayed: false } } };
      return decided[index]!;
    });
  }

  /** One statement: every first request's key claimed with its response stored, and the business rows. */
  private async writeNewKeys(tx: Tx, requests: readonly Fingerprinted<Item>[]): Promise<BatchDecision> {
    const { decided, claimants } = this.firstOfEachKey(requests);
    const writes = new CombinedWrite(tx);
    const responses = await this.responsesOf(writes, claimants);
    this.idempotency.claimStoredManyTo(writes, claimants, responses);
    await writes.run();
    return this.decisionsFor(requests, decided, claimants, responses);
  }

  /** Claims first (a key taken by another request is not claimed), then writes and stores for the keys claimed. */
  private async writeClaimingFirst(tx: Tx, requests: readonly Fingerprinted<Item>[]): Promise<BatchDecision> {
    const { decided, claimants } = this.firstOfEachKey(requests);
    const claimed = await this.idempotency.claimMany(tx, claimants);
    const winners = claimants.filter((request) => claimed.has(claimIdOf(request.scope, request.key)));
    const writes = new CombinedWrite(tx);
    const responses = await this.responsesOf(writes, winners);
    this.idempotency.storeManyTo(writes, responses);
    await writes.run();
    return this.decisionsFor(requests, decided, winners, responses);
  }

  private answered(
    requests: readonly Fingerprinted<Item>[],
    decisions: BatchDecision,
  ): Promise<ItemOutcome<IdempotentResponse>[]> {
    // Keys held by others: read once this batch's transaction (which waited for theirs) has ended.
    return Promise.all(
      decisions.map(async (decision, index): Promise<ItemOutcome<IdempotentResponse>> => {
        if ('answer' in decision) return decision.answer;
        const request = requests[index]!;
        try {
          const value = await this.idempotency.answerFromStoredKey(request.scope, request.key, request.fingerprint);
          return { ok: true, value };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  /** The single-request path, with the group's write for one item. */
  private writeAlone(request: Fingerprinted<Item>): Promise<IdempotentResponse> {
    return this.idempotency.execute(request, async (tx) => {
      const writes = new CombinedWrite(tx);
      const [body] = await this.options.write(writes, [request.item]);
      // What the write left waiting goes before the single-request path stores the response.
      await writes.run();
      return { status: request.successStatus, body };
    });
  }
}
