import { createParamDecorator, type ExecutionContext, Injectable, type PipeTransform } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { MerchantRequest } from '../auth/authenticated-request';
import { routeAccessOf } from '../http/route-access';
import { IdempotencyService } from './idempotency.service';
import { IdempotentCall, type IdempotentCallRequest } from './idempotent-call';
import { routePathOf } from './route-path';

export interface IdempotentOptions {
  /** Refuse a request without an `Idempotency-Key` (400 parameter_missing); otherwise a key is honoured when sent. */
  required: boolean;
}

function scopeOf(context: ExecutionContext, request: MerchantRequest): string {
  if (request.merchantId !== undefined) return request.merchantId;
  if (routeAccessOf(context.getClass(), context.getHandler()) === 'operator') return 'operator';
  // A programming error: keys of anonymous callers would collide with each other.
  throw new Error('@Idempotent() used on a route that is neither a merchant’s nor the operator’s');
}

function matchedRouteOf(request: MerchantRequest): string {
  const route = request.routeOptions.url;
  if (route === undefined) throw new Error('@Idempotent() used outside a matched route');
  return route;
}

const idempotentCallRequest = createParamDecorator(
  (options: IdempotentOptions, context: ExecutionContext): IdempotentCallRequest => {
    const http = context.switchToHttp();
    const request = http.getRequest<MerchantRequest>();
    const reply = http.getResponse<FastifyReply>();
    return {
      scope: scopeOf(context, request),
      keyHeader: request.headers['idempotency-key'],
      keyRequired: options.required,
      method: request.method,
      path: routePathOf(matchedRouteOf(request), request.params as Record<string, unknown>),
      body: request.body,
      // Nest sets the route's status on the reply before it resolves the handler's parameters.
      successStatus: reply.statusCode,
      reply,
    };
  },
);

/** Binds the request read from the route to the IdempotencyService (a pipe, so that Nest injects the service). */
@Injectable()
export class IdempotentCallPipe implements PipeTransform<IdempotentCallRequest, IdempotentCall> {
  constructor(private readonly idempotency: IdempotencyService) {}

  transform(request: IdempotentCallRequest): IdempotentCall {
    return new IdempotentCall(this.idempotency, request);
  }
}

/**
 * The handler's idempotent call (IdempotentCall): scope, key, method, path and body come from the request and its
 * matched route, the status from the route's @HttpCode. The handler passes only its business call:
 *
 *   @Post(':id/capture') @HttpCode(200)
 *   capture(@ValidId('pay', 'payment') id: string, @CurrentMerchant() merchantId: string,
 *           @Idempotent({ required: false }) call: IdempotentCall) {
 *     return call.run((tx) => this.payments.capture(tx, merchantId, id));
 *   }
 */
export const Idempotent = (options: IdempotentOptions): ParameterDecorator =>
  idempotentCallRequest(options, IdempotentCallPipe);
