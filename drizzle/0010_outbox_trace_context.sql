-- The trace context (W3C traceparent/tracestate) of the work that wrote the row, written only while tracing is on.
ALTER TABLE "outbox" ADD COLUMN "trace_context" jsonb;
