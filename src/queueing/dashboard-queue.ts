import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { BullBoardModule } from '@bull-board/nestjs';
import type { DynamicModule } from '@nestjs/common';

/**
 * Shows a queue on the Bull Board dashboard; defineQueue imports it beside `BullModule.registerQueue`.
 * Retries stay on so operators can retry dead letters; everything else that writes is refused by
 * `dashboardHandlerHooks` (Bull Board's `readOnlyMode` would refuse retries too).
 */
export function dashboardQueue(name: string): DynamicModule {
  return BullBoardModule.forFeature({
    name,
    adapter: BullMQAdapter,
    options: { readOnlyMode: false, allowRetries: true },
  });
}
