import { ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type TraceCarrier, carrierOf, contextOfCarrier, isTracingOn } from '../telemetry/trace-context';
import { inWorkSpan, linksTo, recordFailure, startWorkSpan } from '../telemetry/traced-work';

/** The trace context of an outbox row as the relay reads it (the trace_context column). */
export interface TracedRow {
  id: string;
  traceContext?: TraceCarrier | null;
}

type RowOutcome =
  | { readonly status: 'sent' }
  | { readonly status: 'failed'; readonly error: unknown }
  | {
      readonly status: 'held';
      readonly reason: string;
    };

/**
 * Dispatches a batch of one topic's rows, traced when tracing is on; as it is otherwise. Each row written with a
 * trace context gets a span in that trace (`outbox.relay <topic>`, a producer span, child of the work that wrote the
 * row) for its time in the relay, ended with what became of it; the dispatcher receives the row with that span's
 * context instead, which it carries on (job data, message headers). The batch itself is one more span, the root of
 * a trace of its own (the relay's loop serves every payment), linked to the rows' spans: the relay's statements
 * during the dispatch and the broker calls made once for the batch are in it.
 */
export async function dispatchTraced<Row extends TracedRow, Outcome extends RowOutcome>(
  topic: string,
  rows: readonly Row[],
  dispatch: (rows: readonly Row[]) => Promise<readonly Outcome[]>,
): Promise<readonly Outcome[]> {
  if (!isTracingOn()) return dispatch(rows);
  const rowSpans = rows.map((row) => {
    const parent = contextOfCarrier(row.traceContext);
    return parent
      ? startWorkSpan(`outbox.relay ${topic}`, {
          kind: SpanKind.PRODUCER,
          parent,
          attributes: { 'outbox.topic': topic, 'outbox.id': row.id },
        })
      : undefined;
  });
  const traced = rows.map((row, index) => {
    const rowSpan = rowSpans[index];
    return rowSpan ? { ...row, traceContext: carrierOf(rowSpan.context) ?? null } : row;
  });
  let outcomes: readonly Outcome[] | undefined;
  try {
    outcomes = await inWorkSpan(
      `outbox.relay ${topic} batch`,
      {
        // A trace of its own, whatever context the relay's loop happens to run in.
        parent: ROOT_CONTEXT,
        links: linksTo(rowSpans.map((rowSpan) => rowSpan?.context)),
        attributes: { 'outbox.topic': topic, 'batch.size': rows.length },
      },
      () => dispatch(traced),
    );
    return outcomes;
  } finally {
    rowSpans.forEach((rowSpan, index) => {
      if (!rowSpan) return;
      const outcome = outcomes?.[index];
      if (!outcome) recordFailure(rowSpan.span, new Error('the batch was not dispatched'));
      else if (outcome.status === 'failed') recordFailure(rowSpan.span, outcome.error);
      else if (outcome.status === 'held') rowSpan.span.setAttribute('outbox.held', outcome.reason);
      else rowSpan.span.setStatus({ code: SpanStatusCode.OK });
      rowSpan.span.end();
    });
  }
}
