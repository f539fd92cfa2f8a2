import { randomBytes } from 'node:crypto';
import { Controller, HttpCode, Injectable, Module, Post } from '@nestjs/common';
import { z } from 'zod';
import { CurrentMerchant } from '../../src/auth/current-merchant.decorator';
import { ValidBody } from '../../src/common/validation/validated.decorators';
import { Database } from '../../src/database/database';
import { EventsService } from '../../src/events/events.service';
import './widget-events';

export interface Widget extends Record<string, unknown> {
  id: string;
  object: 'widget';
  name: string;
  created_at: string;
}

const createWidgetSchema = z.strictObject({ name: z.string().min(1).max(100) });

/**
 * A feature of the tests' own that records `widget.created` as the built-in features record theirs: through
 * EventsService, in the transaction of the change (here there is nothing else to write), so the outbox publishes
 * it to RabbitMQ, and from there to the webhook endpoints, once it commits.
 */
@Injectable()
export class WidgetsService {
  constructor(
    private readonly database: Database,
    private readonly events: EventsService,
  ) {}

  async create(merchantId: string, name: string): Promise<Widget> {
    const widget: Widget = {
      id: `widget_${randomBytes(12).toString('hex')}`,
      object: 'widget',
      name,
      created_at: new Date().toISOString(),
    };
    await this.database.transaction((tx) => this.events.record(tx, merchantId, 'widget.created', widget));
    return widget;
  }
}

@Controller('v1/widgets')
class WidgetsController {
  constructor(private readonly widgets: WidgetsService) {}

  @Post()
  @HttpCode(201)
  async create(@ValidBody(createWidgetSchema) input: { name: string }, @CurrentMerchant() merchantId: string) {
    return this.widgets.create(merchantId, input.name);
  }
}

/** Mounted through AppModuleOptions.imports, beside the built-in modules (EventsService is global). */
@Module({ controllers: [WidgetsController], providers: [WidgetsService] })
export class WidgetsModule {}
