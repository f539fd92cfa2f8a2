import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import {
  activeTraceContext,
  carrierOf,
  contextOfCarrier,
  isTraceparent,
  markTracingOn,
  traceLogFields,
} from './trace-context';

const traceId = '0af7651916cd43dd8448eb211c80319c';
const spanId = 'b7ad6b7169203331';
const traceparent = `00-${traceId}-${spanId}-01`;

describe('isTraceparent', () => {
  it('accepts a W3C traceparent of version 00', () => {
    expect(isTraceparent(traceparent)).toBe(true);
    expect(isTraceparent(`00-${traceId}-${spanId}-00`)).toBe(true);
  });

  it.each([
    ['another version', `01-${traceId}-${spanId}-01`],
    ['upper case', traceparent.toUpperCase()],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${spanId}-01`],
    ['an all-zero span id', `00-${traceId}-${'0'.repeat(16)}-01`],
    ['a short trace id', `00-${traceId.slice(1)}-${spanId}-01`],
    ['trailing text', `${traceparent}-x`],
    ['a number', 7],
    ['nothing', undefined],
  ])('refuses %s', (_case, value) => {
    expect(isTraceparent(value)).toBe(false);
  });
});

describe('with tracing off', () => {
  it('reads no carrier and has no active context', () => {
    expect(contextOfCarrier({ traceparent })).toBeUndefined();
    expect(activeTraceContext()).toBeUndefined();
  });
});

describe('with tracing on', () => {
  const provider = new node.NodeTracerProvider();

  beforeAll(() => {
    provider.register();
    markTracingOn();
  });

  afterAll(() => provider.shutdown());

  it('reads a carrier back as the remote span it names, and writes it out unchanged', () => {
    const remote = contextOfCarrier({ traceparent, tracestate: 'vendor=1,other=2' })!;
    expect(trace.getSpanContext(remote)).toMatchObject({
      traceId,
      spanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(carrierOf(remote)).toEqual({ traceparent, tracestate: 'vendor=1,other=2' });
  });

  it('drops a tracestate longer than W3C lets a vendor rely on, and keeps the traceparent', () => {
    expect(carrierOf(contextOfCarrier({ traceparent, tracestate: `v=${'x'.repeat(600)}` }))).toEqual({ traceparent });
  });

  it.each([
    ['no carrier', undefined],
    ['a malformed traceparent', { traceparent: 'nope' }],
    ['a traceparent that is not text', { traceparent: 12 }],
  ])('reads nothing from %s', (_case, carrier) => {
    expect(contextOfCarrier(carrier)).toBeUndefined();
  });

  it('has no active context, and no log fields, outside a span', () => {
    expect(activeTraceContext()).toBeUndefined();
    expect(traceLogFields()).toEqual({});
    expect(carrierOf(ROOT_CONTEXT)).toBeUndefined();
  });

  it('gives the active span as context to carry on and as log fields', () => {
    const span = trace.getTracer('test').startSpan('work');
    context.with(trace.setSpan(context.active(), span), () => {
      const active = activeTraceContext()!;
      expect(carrierOf(active)?.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
      expect(traceLogFields()).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
    });
    span.end();
  });
});
