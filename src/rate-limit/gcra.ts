/**
 * The generic cell rate algorithm (GCRA), as one Lua script run by Redis, so that every process of a deployment
 * shares each merchant's allowance and a check is one atomic command. A merchant may make `limit` requests per
 * second: up to `limit` at once after a quiet second, then one every 1/limit s. Redis keeps one number per merchant,
 * the theoretical arrival time (TAT) of its next request, which expires once it lies in the past.
 *
 * KEYS[1]: the merchant's TAT key. ARGV[1]: the limit per second.
 * Returns {1, 0} when the request is allowed (and counted), {0, ms} when it is refused: the wait until one would be
 * allowed. Time is Redis's own clock (TIME), the same for every process.
 */
export const gcraScript = `
local limit = tonumber(ARGV[1])
local interval = 1000000 / limit
local tolerance = 1000000 - interval
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return {0, math.ceil(wait / 1000)} end
local next = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.ceil((next - now) / 1000) + 1)
return {1, 0}`;

/** Whole seconds to tell a refused client in Retry-After: at least 1, rounded up. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
