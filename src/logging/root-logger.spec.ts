import { context, trace } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import { markTracingOn } from '../telemetry/trace-context';
import { createRootLogger } from './root-logger';
import { LogCapture } from '../../test/support/log-capture';

/** The JSON lines a logger wrote. */
function captured(): { stream: LogCapture; lines: () => Record<string, unknown>[] } {
  const stream = new LogCapture();
  return { stream, lines: () => stream.records() };
}

describe('createRootLogger', () => {
  const provider = new node.NodeTracerProvider();
  beforeAll(() => provider.register());
  afterAll(() => provider.shutdown());

  /** Logs one line inside a recording span and one outside; returns both lines and the span's ids. */
  function logInAndOutOfSpan() {
    const { stream, lines } = captured();
    const logger = createRootLogger('info', stream);
    const span = trace.getTracer('test').startSpan('work');
    context.with(trace.setSpan(context.active(), span), () => logger.info('inside'));
    span.end();
    logger.info('outside');
    const [inside, outside] = lines();
    return { inside: inside!, outside: outside!, ids: span.spanContext() };
  }

  it('adds no trace fields while tracing is off', () => {
    const { inside } = logInAndOutOfSpan();
    expect(inside).not.toHaveProperty('trace_id');
    expect(inside).not.toHaveProperty('span_id');
  });

  it('adds the active span’s trace_id and span_id to each line once tracing is on', () => {
    markTracingOn();
    const { inside, outside, ids } = logInAndOutOfSpan();
    expect(inside).toMatchObject({ msg: 'inside', trace_id: ids.traceId, span_id: ids.spanId });
    expect(outside).not.toHaveProperty('trace_id');
  });
});
