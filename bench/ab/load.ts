/**
 * Offers POST /v1/payments at a fixed overall rate (autocannon, 20 connections), a fresh Idempotency-Key each, for
 * bench/ab/compare.sh. usage: node --import ./bench/support/swc-register.mts bench/ab/load.ts <port> <api key>
 * <rate per second> <seconds>; prints one JSON line.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

const [port, key, rate, seconds] = process.argv.slice(2);
const body = JSON.stringify({
  amount: 1000,
  currency: 'usd',
  payment_method: { type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123' } },
});

void (async () => {
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}/v1/payments`,
        connections: 20,
        overallRate: Number(rate),
        duration: Number(seconds),
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => ({
              ...request,
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${key}`,
                'idempotency-key': randomUUID(),
              },
              body,
            }),
          },
        ],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
  });
  const { total } = result.requests;
  console.log(JSON.stringify({ total, non2xx: result.non2xx, p50: result.latency.p50, p99: result.latency.p99 }));
})();
