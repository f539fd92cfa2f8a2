// When tracing is on: decided from the standard OpenTelemetry variables alone, before anything else is loaded
// (register.ts). Pure: no OpenTelemetry import, so deciding costs nothing when tracing stays off.

export interface TracingDecision {
  on: boolean;
  /** Why, in words, for the start-up log line. */
  reason: string;
}

type Environment = Readonly<Record<string, string | undefined>>;

function setting(environment: Environment, name: string): string | undefined {
  const value = environment[name]?.trim();
  return value ? value : undefined;
}

/**
 * Tracing is off unless asked for, and `OTEL_SDK_DISABLED=true` always wins. It is on when `OTEL_TRACES_EXPORTER`
 * names an exporter other than `none` (otlp, console, zipkin: the SDK reads the list), or, with no
 * `OTEL_TRACES_EXPORTER`, when an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_ENDPOINT`): the OTLP exporter then sends there. Everything else (protocol, headers,
 * service name, sampler, propagators) is the SDK's own reading of the same variables.
 */
export function tracingDecision(environment: Environment): TracingDecision {
  if (setting(environment, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') {
    return { on: false, reason: 'OTEL_SDK_DISABLED=true' };
  }
  const exporters = setting(environment, 'OTEL_TRACES_EXPORTER');
  if (exporters !== undefined) {
    const named = exporters
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== '' && name !== 'none');
    return named.length > 0
      ? { on: true, reason: `OTEL_TRACES_EXPORTER=${named.join(',')}` }
      : { on: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  }
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    if (setting(environment, name) !== undefined) return { on: true, reason: `${name} is set` };
  }
  return { on: false, reason: 'no OTEL_TRACES_EXPORTER and no OTLP endpoint set' };
}
