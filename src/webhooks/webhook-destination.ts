import { type LookupAddress, lookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { classifyAddress, describeClass } from './webhook-url';

/** A destination the production rules do not allow: the reason is safe to show to the merchant. */
export class DestinationRefused extends Error {
  override readonly name = 'DestinationRefused';
}

function refusal(hostname: string, addresses: readonly LookupAddress[]): DestinationRefused | undefined {
  if (addresses.length === 0) return new DestinationRefused(`${hostname} does not resolve to any address`);
  const blocked = addresses.find((entry) => classifyAddress(entry.address) !== 'public');
  if (!blocked) return undefined;
  return new DestinationRefused(`${hostname} resolves to a ${describeClass(classifyAddress(blocked.address))} address`);
}

/** Resolves a host name and refuses it unless every one of its addresses is public. */
export async function assertPublicHost(hostname: string): Promise<void> {
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    lookup(hostname, { all: true, verbatim: true }, (error, found) =>
      error
        ? reject(new DestinationRefused(`${hostname} could not be resolved (${error.code ?? 'error'})`))
        : resolve(found),
    ),
  );
  const refused = refusal(hostname, addresses);
  if (refused) throw refused;
}

/**
 * A `lookup` for http.request that refuses a name with any non-public address at connection time: the address
 * checked is the address connected to, so a name re-pointed after the endpoint was created (DNS rebinding)
 * reaches nothing private.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, '', 0);
      return;
    }
    const refused = refusal(hostname, addresses);
    if (refused) {
      callback(refused, '', 0);
      return;
    }
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
