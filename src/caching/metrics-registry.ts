import { Registry } from 'prom-client';

/** The application's Prometheus registry, injected by class. Provided by the caching module until a metrics
 * module owns it. */
export class MetricsRegistry extends Registry {}
