import { EventsServer, isPlainPattern } from './events-server';

/** Nest's route of a pattern, and this server's, side by side. */
class Probe extends EventsServer {
  constructor() {
    super({ urls: ['amqp://127.0.0.1:1'], queue: 'probe' });
  }
  route(pattern: string): string {
    return this.getRouteFromPattern(pattern);
  }
  nestRoute(pattern: string): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(pattern);
    } catch {
      parsed = pattern;
    }
    return this.normalizePattern(parsed as string);
  }
}

describe('EventsServer', () => {
  const probe = new Probe();

  it.each(['payment.succeeded', 'refund.succeeded', 'payment.*', 'widget.created', 'trueish', 'nullable.x'])(
    'routes the plain pattern %s as Nest does, without parsing it as JSON',
    (pattern) => {
      expect(isPlainPattern(pattern)).toBe(true);
      const parse = jest.spyOn(JSON, 'parse');
      try {
        expect(probe.route(pattern)).toBe(probe.nestRoute(pattern));
        parse.mockClear();
        probe.route(pattern);
        expect(parse).not.toHaveBeenCalled();
      } finally {
        parse.mockRestore();
      }
    },
  );

  it.each(['{"cmd":"sum","b":1}', '"quoted"', '42', 'true', 'null', 'false ', '[1,2]', ' payment.succeeded', '#'])(
    'leaves %s to Nest, which may read it as JSON',
    (pattern) => {
      expect(isPlainPattern(pattern)).toBe(false);
      expect(probe.route(pattern)).toEqual(probe.nestRoute(pattern));
    },
  );
});
