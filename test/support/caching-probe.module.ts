import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  Param,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CachedReads } from '../../src/caching/cached-reads.service';
import { currentResourceId } from '../../src/caching/caching.constants';
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
  /** Requests that reached CachedReads.serve, which joins or starts the key's load before it returns. */
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

/** Stands in for the bearer guard: the merchant comes from X-Merchant-Id (`(none)` without the header). */
@Injectable()
class HeaderMerchantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<ProbeRequest>();
    const merchantId = request.headers['x-merchant-id'];
    request.merchantId = typeof merchantId === 'string' ? merchantId : anonymous;
    return true;
  }
}

@Controller('caching-probe')
@UseGuards(HeaderMerchantGuard)
class CachingProbeController {
  constructor(private readonly cachedReads: CachedReads) {}

  @Get('payments/:id')
  payment(@Req() request: ProbeRequest, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const state = cachingProbe.state;
    const merchantId = request.merchantId ?? anonymous;
    state.arrivals += 1;
    return this.cachedReads.serve(reply, 'payment', merchantId, id, async () => {
      state.count('payment', merchantId, id);
      await state.gate?.opened;
      const body = state.payments.get(`${merchantId}:${id}`);
      if (!body) throw apiErrors.resourceMissing('payment', id);
      return body;
    });
  }

  @Get('balance')
  balance(@Req() request: ProbeRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const merchantId = request.merchantId ?? anonymous;
    return this.cachedReads.serve(reply, 'balance', merchantId, currentResourceId, () => {
      cachingProbe.state.count('balance', merchantId, currentResourceId);
      return Promise.resolve({ merchant: merchantId, available: cachingProbe.state.balances.get(merchantId) ?? 0 });
    });
  }

  @Get('failing/:id')
  failing(
    @Req() request: ProbeRequest,
    @Param('id') id: string,
    @Query('status') status: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const merchantId = request.merchantId ?? anonymous;
    return this.cachedReads.serve(reply, 'payment', merchantId, id, () => {
      cachingProbe.state.count('failing', merchantId, id);
      if (status === '400') return Promise.reject(apiErrors.parameterInvalid('id', 'rejected by the probe'));
      return Promise.reject(new Error('probe failure'));
    });
  }

  /** A body that is not JSON (a buffer): passed on as it is, never cached. */
  @Get('bytes/:id')
  bytes(@Req() request: ProbeRequest, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const merchantId = request.merchantId ?? anonymous;
    return this.cachedReads.serve(reply, 'payment', merchantId, id, () => {
      cachingProbe.state.count('bytes', merchantId, id);
      return Promise.resolve(Buffer.from(`bytes of ${id}`));
    });
  }
}

@Module({ controllers: [CachingProbeController], providers: [HeaderMerchantGuard] })
export class CachingProbeModule {}
