import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentMerchant } from '../auth/current-merchant.decorator';
import { ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import { type ListEventsQuery, listEventsQuerySchema } from './event.schemas';
import { EventsService } from './events.service';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import type { ListObject } from '../common/pagination';
import { type EventObject, eventSchema } from './event-types';
import { eventListSchema } from './event.presenter';

@ApiTags('events')
@ApiBearerAuth('secret_key')
@ApiErrorResponses(401, 429, 503)
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiObjectResponse(200, eventListSchema, 'The merchant’s events, newest first.')
  @ApiErrorResponses(400)
  async list(
    @ValidQuery(listEventsQuerySchema) query: ListEventsQuery,
    @CurrentMerchant() merchantId: string,
  ): Promise<ListObject<EventObject>> {
    return this.events.list(merchantId, query);
  }

  @Get(':id')
  @ApiObjectResponse(200, eventSchema, 'The event.')
  @ApiErrorResponses(404)
  async get(@ValidId('evt', 'event') id: string, @CurrentMerchant() merchantId: string): Promise<EventObject> {
    return this.events.get(merchantId, id);
  }
}
