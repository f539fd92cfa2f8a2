import Fastify from 'fastify';
import type { Logger } from 'pino';
import { lazyRequestLogger, LazyRequestLogger } from './lazy-request-logger';
import { RequestLogController } from './request-log.controller';
import { createRootLogger } from './root-logger';
import { LogCapture } from '../../test/support/log-capture';

/** A root logger at `level` (the app's, with its redaction) and the JSON lines it wrote. */
function rootAt(level: string): { root: Logger; lines: () => Record<string, unknown>[] } {
  const capture = new LogCapture();
  return { root: createRootLogger(level, capture), lines: () => capture.records() };
}

describe('LazyRequestLogger', () => {
  it('makes no child and writes nothing while every line is below the level', () => {
    const { root, lines } = rootAt('warn');
    const child = jest.spyOn(root, 'child');
    const logger = lazyRequestLogger(root, { request_id: 'req_1' }, {});
    logger.info('quiet');
    logger.debug({ a: 1 }, 'quieter');
    logger.trace('quietest');
    logger.silent('never');
    expect(child).not.toHaveBeenCalled();
    expect(lines()).toEqual([]);
  });

  it('writes a line at an enabled level with its bindings, making the child once', () => {
    const { root, lines } = rootAt('info');
    const child = jest.spyOn(root, 'child');
    const logger = lazyRequestLogger(root, { request_id: 'req_2' }, {});
    logger.info({ status: 200 }, 'first');
    logger.warn('second %s', 'formatted');
    logger.error(new Error('boom'), 'third');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines()).toEqual([
      expect.objectContaining({ level: 30, request_id: 'req_2', status: 200, msg: 'first' }),
      expect.objectContaining({ level: 40, request_id: 'req_2', msg: 'second formatted' }),
      expect.objectContaining({
        level: 50,
        request_id: 'req_2',
        msg: 'third',
        err: expect.objectContaining({ message: 'boom' }),
      }),
    ]);
  });

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const)(
    'writes %s exactly when the root would',
    (level) => {
      for (const rootLevel of ['fatal', 'error', 'warn', 'info', 'debug', 'trace']) {
        const { root, lines } = rootAt(rootLevel);
        lazyRequestLogger(root, { request_id: 'req_3' }, {})[level]('line');
        expect(lines()).toHaveLength(root.isLevelEnabled(level) ? 1 : 0);
      }
    },
  );

  it('redacts card data and secrets like the root logger', () => {
    const { root, lines } = rootAt('info');
    const logger = lazyRequestLogger(root, { request_id: 'req_4' }, {});
    logger.info({ payment_method: { card: { number: '4242424242424242', cvc: '123' } } }, 'card');
    logger.info({ req: { headers: { authorization: 'Bearer sk_test_secret' } } }, 'headers');
    const text = JSON.stringify(lines());
    expect(text).not.toContain('4242424242424242');
    expect(text).not.toContain('sk_test_secret');
    expect(lines()[0]).toMatchObject({ request_id: 'req_4', payment_method: '[redacted]' });
  });

  it("applies a route's own log level, above or below the root's", () => {
    const quiet = rootAt('warn');
    lazyRequestLogger(quiet.root, { request_id: 'req_5' }, { level: 'debug' }).debug('route wants debug');
    expect(quiet.lines()).toEqual([expect.objectContaining({ msg: 'route wants debug', request_id: 'req_5' })]);

    const loud = rootAt('info');
    lazyRequestLogger(loud.root, { request_id: 'req_6' }, { level: 'error' }).info('route wants errors only');
    expect(loud.lines()).toEqual([]);
  });

  it('answers its level, takes a new one, and gives children with both bindings', () => {
    const { root, lines } = rootAt('warn');
    const logger = new LazyRequestLogger(root, { request_id: 'req_7' }, {});
    expect(logger.level).toBe('warn');
    logger.level = 'debug';
    logger.debug('now enabled');
    expect(root.level).toBe('warn');
    logger.child({ step: 'inner' }).warn('from a child');
    expect(lines()).toEqual([
      expect.objectContaining({ msg: 'now enabled', request_id: 'req_7' }),
      expect.objectContaining({ msg: 'from a child', request_id: 'req_7', step: 'inner' }),
    ]);
  });

  it("is accepted by Fastify as each request's logger, and its lines carry the request id", async () => {
    const { root, lines } = rootAt('info');
    const app = Fastify({
      loggerInstance: root,
      logController: new RequestLogController(),
      childLoggerFactory: lazyRequestLogger,
      genReqId: () => 'req_fastify',
    });
    app.get('/quiet', () => ({ ok: true }));
    app.get('/talks', (request) => {
      request.log.warn('handler line');
      return { ok: true };
    });
    try {
      expect((await app.inject({ method: 'GET', url: '/quiet' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/talks' })).statusCode).toBe(200);
      expect(lines()).toEqual([
        expect.objectContaining({ msg: 'request completed', route: '/quiet', request_id: 'req_fastify' }),
        expect.objectContaining({ msg: 'handler line', request_id: 'req_fastify' }),
        expect.objectContaining({ msg: 'request completed', route: '/talks', request_id: 'req_fastify' }),
      ]);
    } finally {
      await app.close();
    }
  });
});
