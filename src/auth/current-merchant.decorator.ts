import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { MerchantRequest } from './authenticated-request';

/** The id of the merchant whose API key the request carries; only on merchant routes (not `@Public`/`@Operator`). */
export const CurrentMerchant = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const { merchantId } = context.switchToHttp().getRequest<MerchantRequest>();
  // A programming error, not a client's: the handler is on a route that names no merchant.
  if (merchantId === undefined) throw new Error('@CurrentMerchant() used on a route without a merchant API key');
  return merchantId;
});
