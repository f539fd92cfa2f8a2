import { tracingDecision } from './tracing-switch';

describe('tracingDecision', () => {
  it('is off with no OpenTelemetry variable', () => {
    expect(tracingDecision({}).on).toBe(false);
    expect(tracingDecision({ OTEL_SERVICE_NAME: 'payments', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).on).toBe(false);
  });

  it('is on when OTEL_TRACES_EXPORTER names an exporter other than none', () => {
    expect(tracingDecision({ OTEL_TRACES_EXPORTER: 'otlp' }).on).toBe(true);
    expect(tracingDecision({ OTEL_TRACES_EXPORTER: ' none , console' }).on).toBe(true);
    expect(tracingDecision({ OTEL_TRACES_EXPORTER: 'none' }).on).toBe(false);
    expect(tracingDecision({ OTEL_TRACES_EXPORTER: 'NONE,' }).on).toBe(false);
  });

  it('is on when an OTLP endpoint is set and no exporter is named', () => {
    expect(tracingDecision({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).on).toBe(true);
    expect(tracingDecision({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).on).toBe(true);
    expect(tracingDecision({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }).on).toBe(false);
  });

  it('lets OTEL_TRACES_EXPORTER=none win over an endpoint', () => {
    expect(
      tracingDecision({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).on,
    ).toBe(false);
  });

  it('is off whatever else is set when OTEL_SDK_DISABLED is true', () => {
    expect(tracingDecision({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }).on).toBe(false);
    expect(tracingDecision({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' }).on).toBe(true);
  });
});
