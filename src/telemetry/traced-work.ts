import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/** The tracer of the application's own spans (instrumentations have theirs). */
export const tracerName = 'payments-backend';

export interface WorkSpanOptions {
  kind?: SpanKind;
  /** The span's parent; the active context when omitted. */
  parent?: Context | undefined;
  links?: Link[];
  attributes?: Attributes;
}

/** Marks `span` failed with what `error` says (an error's name and message: never data it was handed). */
export function recordFailure(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Starts a span (not made active), child of `options.parent` or of the active context. */
export function startWorkSpan(name: string, options: WorkSpanOptions = {}): { span: Span; context: Context } {
  const parent = options.parent ?? context.active();
  const span = trace
    .getTracer(tracerName)
    .startSpan(
      name,
      { kind: options.kind ?? SpanKind.INTERNAL, links: options.links ?? [], attributes: options.attributes ?? {} },
      parent,
    );
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `work` in a new active span, ended when the work settles; a rejection marks it failed and is rethrown. */
export async function inWorkSpan<T>(
  name: string,
  options: WorkSpanOptions,
  work: (spanContext: Context) => Promise<T>,
): Promise<T> {
  const { span, context: spanContext } = startWorkSpan(name, options);
  try {
    return await context.with(spanContext, () => work(spanContext));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** A link to every context's span (contexts without a valid span give none). */
export function linksTo(contexts: readonly (Context | undefined)[]): Link[] {
  const links: Link[] = [];
  for (const linked of contexts) {
    const spanContext = linked && trace.getSpanContext(linked);
    if (spanContext) links.push({ context: spanContext });
  }
  return links;
}
