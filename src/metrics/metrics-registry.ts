import { Registry } from 'prom-client';

/** The application's Prometheus registry, injected by class; every module registers its metrics on it. */
export class MetricsRegistry extends Registry {}
