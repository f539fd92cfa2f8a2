// The GCRA step shared by the scripts below. In: KEYS[1] the TAT key, ARGV[1] the limit per second. Out: the
// locals `now`, `tat`, `interval` and `wait` (µs until one more would be allowed; > 0 means refused).
const gcraStep = `
local limit = tonumber(ARGV[1])
local interval = 1000000 / limit
local tolerance = 1000000 - interval
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now`;

// Counts one more at the theoretical arrival time, the key expiring once that time lies in the past.
const gcraCount = `
local next = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.ceil((next - now) / 1000) + 1)`;

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
export const gcraScript = `${gcraStep}
if wait > 0 then return {0, math.ceil(wait / 1000)} end
${gcraCount}
return {1, 0}`;

/**
 * The GCRA of gcraScript for events that are counted after the fact (failed authentications), plus a marker of
 * having gone over: a counted event that the limit refuses sets it for the wait, and while it is set everything
 * is refused, asked or counted. So a client that used its whole allowance but no more is not refused (its next
 * attempt may be a success), while one that went over is refused before its next attempt is even looked at.
 *
 * KEYS[1]: the TAT key, KEYS[2]: the over-the-limit marker. ARGV[1]: the limit per second; ARGV[2]: '1' to count
 * an event, '0' only to ask whether the client is over. Returns {1, 0} allowed, {0, ms} refused for ms.
 */
export const gcraOverLimitScript = `
local over = redis.call('PTTL', KEYS[2])
if over > 0 then return {0, over} end
if ARGV[2] == '0' then return {1, 0} end
${gcraStep}
if wait > 0 then
  local waitMs = math.ceil(wait / 1000)
  redis.call('SET', KEYS[2], '1', 'PX', waitMs)
  return {0, waitMs}
end
${gcraCount}
return {1, 0}`;

/** Whole seconds to tell a refused client in Retry-After: at least 1, rounded up. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
