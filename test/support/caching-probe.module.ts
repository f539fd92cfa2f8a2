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
  UseGuards,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../src/http/route-access';
import { CachedRead } from '../../src/caching/cached-read.decorator';
import { balanceCache, currentBalanceId } from '../../src/ledger/balance-cache';
import { paymentCache } from '../../src/payments/payment-cache';
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
  /** Requests that reached the cached read, which joins or starts the key's load before it returns. */
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

/** The merchant named by HeaderMerchantGuard; counts the requests that reached the cached read, which joins or
 * starts the key's load before it returns (the scope is read just before). */
function arrivingMerchant(request: FastifyRequest): string {
  cachingProbe.state.arrivals += 1;
  return (request as ProbeRequest).merchantId ?? anonymous;
}

/**
 * Cached reads declared the way a feature declares its own: a family (here the payment and balance families) and
 * @CachedRead on the route. Public to the global authentication: HeaderMerchantGuard names the merchant instead.
 */
@Public()
@Controller('caching-probe')
@UseGuards(HeaderMerchantGuard)
class CachingProbeController {
  @Get('payments/:id')
  @CachedRead(paymentCache, { scopeOf: arrivingMerchant })
  async payment(@Param('id') id: string, @Req() request: ProbeRequest) {
    const state = cachingProbe.state;
    const merchantId = request.merchantId ?? anonymous;
    state.count('payment', merchantId, id);
    await state.gate?.opened;
    const body = state.payments.get(`${merchantId}:${id}`);
    if (!body) throw apiErrors.resourceMissing('payment', id);
    return body;
  }

  @Get('balance')
  @CachedRead(balanceCache, { id: currentBalanceId })
  balance(@Req() request: ProbeRequest) {
    const merchantId = request.merchantId ?? anonymous;
    cachingProbe.state.count('balance', merchantId, currentBalanceId);
    return { merchant: merchantId, available: cachingProbe.state.balances.get(merchantId) ?? 0 };
  }

  @Get('failing/:id')
  @CachedRead(paymentCache)
  failing(@Req() request: ProbeRequest, @Param('id') id: string, @Query('status') status: string) {
    cachingProbe.state.count('failing', request.merchantId ?? anonymous, id);
    if (status === '400') throw apiErrors.parameterInvalid('id', 'rejected by the probe');
    throw new Error('probe failure');
  }

  /** A body that is not JSON (a buffer): passed on as it is, never cached. */
  @Get('bytes/:id')
  @CachedRead(paymentCache)
  bytes(@Req() request: ProbeRequest, @Param('id') id: string) {
    cachingProbe.state.count('bytes', request.merchantId ?? anonymous, id);
    return Buffer.from(`bytes of ${id}`);
  }
}

@Module({ controllers: [CachingProbeController], providers: [HeaderMerchantGuard] })
export class CachingProbeModule {}
