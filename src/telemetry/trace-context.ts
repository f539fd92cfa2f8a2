// The trace context as it crosses the asynchronous hops of the write path (outbox row, job data, message headers):
// W3C traceparent/tracestate text, written and read here by hand so that the format does not depend on the
// propagators configured (OTEL_PROPAGATORS), and validated on the way in, since job data and headers are untrusted.
import {
  type Context,
  context,
  createTraceState,
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
} from '@opentelemetry/api';

/** A trace context as text: the W3C `traceparent` and, when there is one, `tracestate`. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

// W3C Trace Context, version 00: version-traceid-parentid-flags, lowercase hex.
const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
// W3C: at most 32 list members; 512 characters is what a vendor may rely on being propagated.
const tracestateLengthMax = 512;

let tracingOn = false;

/**
 * Called once, by register.ts, after the SDK started. Until then (and for good when tracing is off) every function
 * here answers undefined after one boolean check: the hot path does no tracing work.
 */
export function markTracingOn(): void {
  tracingOn = true;
}

export function isTracingOn(): boolean {
  return tracingOn;
}

/** Whether `value` is a well-formed traceparent of version 00 whose ids are not all zero. */
export function isTraceparent(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = traceparentPattern.exec(value);
  return match !== null && !/^0+$/.test(match[1]!) && !/^0+$/.test(match[2]!);
}

/** The context to carry on from here (the active span's), or undefined when tracing is off or no span is active. */
export function activeTraceContext(): Context | undefined {
  if (!tracingOn) return undefined;
  const active = context.active();
  const span = trace.getSpanContext(active);
  return span && isSpanContextValid(span) ? active : undefined;
}

/** `traceContext`'s span as text, or undefined when it has no valid span. */
export function carrierOf(traceContext: Context | undefined): TraceCarrier | undefined {
  if (!traceContext) return undefined;
  const span = trace.getSpanContext(traceContext);
  if (!span || !isSpanContextValid(span)) return undefined;
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${span.traceId}-${span.spanId}-${flags}`;
  const tracestate = span.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/**
 * The remote context a carrier read back from storage or a message names, or undefined when tracing is off or the
 * carrier is missing or malformed (then the work goes on untraced by it: a bad carrier never fails the work).
 */
export function contextOfCarrier(
  carrier: { traceparent?: unknown; tracestate?: unknown } | null | undefined,
): Context | undefined {
  if (!tracingOn || !carrier || !isTraceparent(carrier.traceparent)) return undefined;
  const [, traceId, spanId, flags] = traceparentPattern.exec(carrier.traceparent)!;
  const tracestate =
    typeof carrier.tracestate === 'string' && carrier.tracestate.length <= tracestateLengthMax
      ? createTraceState(carrier.tracestate)
      : undefined;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: Number.parseInt(flags!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(tracestate ? { traceState: tracestate } : {}),
  });
}

/** The active span's ids as log fields (`trace_id`, `span_id`), or none when no span is active. */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpanContext(context.active());
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}
