import { Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { ValidBody } from '../common/validation/validated.decorators';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { sendIdempotent } from '../idempotency/idempotent-reply';
import { MerchantsService } from './merchants.service';

const createMerchantSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });

@ApiTags('operator')
@ApiSecurity('admin_token')
@UseGuards(AdminTokenGuard)
@Controller('v1/admin/merchants')
export class MerchantsController {
  constructor(
    private readonly merchants: MerchantsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /** Creates a merchant; the response holds its secret API key, shown this once. */
  @Post()
  @HttpCode(201)
  async create(
    @ValidBody(createMerchantSchema) input: z.output<typeof createMerchantSchema>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = IdempotencyService.keyFrom(request.headers['idempotency-key'], false);
    const response = await this.idempotency.execute(
      { scope: 'operator', key, method: 'POST', path: '/v1/admin/merchants', body: request.body },
      async (tx) => ({ status: 201, body: await this.merchants.create(tx, input.name) }),
    );
    return sendIdempotent(reply, response);
  }
}
