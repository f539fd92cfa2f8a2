import { Global, Module } from '@nestjs/common';
import { OutboxLagMetrics } from './outbox-lag.metrics';
import { OutboxRelay } from './outbox.relay';
import { OutboxService } from './outbox.service';

@Global()
@Module({
  providers: [OutboxService, OutboxRelay, OutboxLagMetrics],
  exports: [OutboxService, OutboxRelay],
})
export class OutboxModule {}
