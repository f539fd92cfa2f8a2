import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { type CacheFamily, cacheFamilyNamed } from './cache-family';
import { isKeySegment } from './cache-key';
import { HotCache } from './hot-cache.service';

const jsonContentType = 'application/json; charset=utf-8';

/**
 * Read-through caching of a GET handler's response, called by the handler itself after its pipes have validated
 * the id (so a malformed id never reaches the cache) and its guard has found the merchant (part of every key):
 *
 *     return this.cachedReads.serve(reply, 'payment', request.merchantId, id, () => this.payments.get(…));
 *
 * On a miss `load` runs once per key in this process (concurrent requests wait for that run) and its body is cached
 * as JSON text, or its 404 briefly; any other error is not cached. A hit sends the stored text as it is: no parsing
 * and no serializing per request. Invalidate with `HotCache.invalidate(family, merchantId, id)` after each commit.
 *
 * Not an interceptor: Nest's interceptor pipeline (RxJS operators, client-disconnect tracking) costs more per
 * request than the whole cache hit, and the benchmark in bench/ holds hits to 0.75× of the framework's ceiling.
 */
@Injectable()
export class CachedReads {
  constructor(private readonly cache: HotCache) {}

  async serve(
    reply: FastifyReply,
    familyOrName: CacheFamily | string,
    merchantId: string,
    id: string,
    load: () => Promise<unknown>,
  ): Promise<unknown> {
    // Callers validate ids first; one that still cannot be part of a key is served uncached rather than refused.
    if (!isKeySegment(merchantId) || !isKeySegment(id)) return load();
    const family = typeof familyOrName === 'string' ? cacheFamilyNamed(familyOrName) : familyOrName;
    if (!family) throw new TypeError(`no cache family named ${String(familyOrName)}`);
    const body = await this.cache.getOrLoadResponse(family, merchantId, id, load);
    if ('raw' in body) return body.raw;
    // JSON text under a JSON content type is sent by Fastify as it is, not serialized again.
    void reply.type(jsonContentType);
    return body.json;
  }
}
