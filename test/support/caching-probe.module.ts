import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  Param,
  Post,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CachedRead } from '../../src/caching/cached-read.decorator';
import { apiErrors } from '../../src/common/errors/api-error';

type ProbeRequest = FastifyRequest & { merchantId?: string };

const anonymous = '(none)';

/** A promise the test resolves when it chooses, to hold handlers while concurrent requests pile up. */
export class CachingGate {
  private release: () => void = () => undefined;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));

  open(): void {
    this.release();
  }
}

/** What the probe routes serve and how often their handlers ran; the test sets and reads it. */
export class CachingProbeState {
  /** Payment bodies by `merchantId:id` (`(none):id` without a merchant); a missing one answers 404. */
  readonly payments = new Map<string, Record<string, unknown>>();
  readonly balances = new Map<string, number>();
  private readonly calls = new Map<string, number>();
  /** Requests that passed the guard: the interceptor takes them over within the same tick. */
  arrivals = 0;
  gate: CachingGate | undefined;

  count(route: string, merchantId: string | undefined, id: string): void {
    const key = `${route}:${merchantId ?? anonymous}:${id}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
  }

  handlerCalls(route: string, merchantId: string | undefined, id: string): number {
    return this.calls.get(`${route}:${merchantId ?? anonymous}:${id}`) ?? 0;
  }

  totalHandlerCalls(route: string): number {
    let total = 0;
    for (const [key, calls] of this.calls) if (key.startsWith(`${route}:`)) total += calls;
    return total;
  }
}

export const cachingProbe = { state: new CachingProbeState() };

/** Stands in for the bearer guard: the merchant comes from X-Merchant-Id, and no header means no merchant. */
@Injectable()
class HeaderMerchantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<ProbeRequest>();
    cachingProbe.state.arrivals += 1;
    const merchantId = request.headers['x-merchant-id'];
    if (typeof merchantId === 'string') request.merchantId = merchantId;
    return true;
  }
}

@Controller('caching-probe')
@UseGuards(HeaderMerchantGuard)
class CachingProbeController {
  @Get('payments/:id')
  @CachedRead('payment')
  async payment(@Req() request: ProbeRequest, @Param('id') id: string) {
    const state = cachingProbe.state;
    state.count('payment', request.merchantId, id);
    await state.gate?.opened;
    const body = state.payments.get(`${request.merchantId ?? anonymous}:${id}`);
    if (!body) throw apiErrors.resourceMissing('payment', id);
    return body;
  }

  @Post('payments/:id')
  @CachedRead('payment')
  createPayment(@Req() request: ProbeRequest, @Param('id') id: string) {
    cachingProbe.state.count('payment-post', request.merchantId, id);
    return { id, created: cachingProbe.state.handlerCalls('payment-post', request.merchantId, id) };
  }

  @Get('balance')
  @CachedRead('balance')
  balance(@Req() request: ProbeRequest) {
    const state = cachingProbe.state;
    state.count('balance', request.merchantId, 'current');
    return { merchant: request.merchantId, available: state.balances.get(request.merchantId ?? '') ?? 0 };
  }

  @Get('failing/:id')
  @CachedRead('payment')
  failing(@Req() request: ProbeRequest, @Param('id') id: string, @Query('status') status: string) {
    cachingProbe.state.count('failing', request.merchantId, id);
    if (status === '400') throw apiErrors.parameterInvalid('id', 'rejected by the probe');
    throw new Error('probe failure');
  }
}

@Module({ controllers: [CachingProbeController], providers: [HeaderMerchantGuard] })
export class CachingProbeModule {}
