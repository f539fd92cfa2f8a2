// The first import of main.ts: tracing starts (when the OTEL_* variables ask for it, see tracing-switch.ts) before
// any instrumented library is loaded, so their instrumentations can patch them.
import { startTracingIfWanted } from './tracing';

startTracingIfWanted(process.env);
