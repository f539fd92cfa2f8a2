import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { AuthenticatedRequest } from '../auth/authenticated-request';
import { ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import { type ListEventsQuery, listEventsQuerySchema } from './event.schemas';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth('secret_key')
@UseGuards(ApiKeyGuard)
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  async list(@ValidQuery(listEventsQuerySchema) query: ListEventsQuery, @Req() request: AuthenticatedRequest) {
    return this.events.list(request.merchantId, query);
  }

  @Get(':id')
  async get(@ValidId('evt', 'event') id: string, @Req() request: AuthenticatedRequest) {
    return this.events.get(request.merchantId, id);
  }
}
