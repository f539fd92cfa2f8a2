import { PATH_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { MetricsModule } from '../metrics/metrics.module';
import { Public } from './route-access';

/**
 * Marks the `/metrics` controller `@Public()`: Prometheus scrapes it without a credential, as it always has. A
 * bridge: the controller is private to src/metrics, which is being reworked as this is written; once it carries
 * `@Public()` itself, delete this file and its call in AuthModule. Only the controller at `metrics` is marked, so
 * a route added to MetricsModule later is closed until someone opens it on purpose.
 */
export function markMetricsRoutePublic(): void {
  const controllers = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, MetricsModule) ?? []) as object[];
  for (const controller of controllers) {
    if (Reflect.getMetadata(PATH_METADATA, controller) === 'metrics') Public()(controller as () => void);
  }
}
