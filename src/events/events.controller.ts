import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentMerchant } from '../auth/current-merchant.decorator';
import { ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import { type ListEventsQuery, listEventsQuerySchema } from './event.schemas';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth('secret_key')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  async list(@ValidQuery(listEventsQuerySchema) query: ListEventsQuery, @CurrentMerchant() merchantId: string) {
    return this.events.list(merchantId, query);
  }

  @Get(':id')
  async get(@ValidId('evt', 'event') id: string, @CurrentMerchant() merchantId: string) {
    return this.events.get(merchantId, id);
  }
}
