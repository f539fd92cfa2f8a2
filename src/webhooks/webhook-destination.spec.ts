import type { LookupAddress } from 'node:dns';
import { assertPublicHost, DestinationRefused, publicOnlyLookup } from './webhook-destination';

// `localhost` resolves through the local hosts file, so these run without a network.
describe('webhook destinations (production rules)', () => {
  it('refuses a name that resolves to loopback', async () => {
    await expect(assertPublicHost('localhost')).rejects.toThrow(DestinationRefused);
    await expect(assertPublicHost('localhost')).rejects.toThrow(/localhost resolves to a loopback address/);
  });

  it.each([{ all: true }, { all: false }, {}])(
    'refuses loopback at connection time (lookup options %j)',
    async (options) => {
      const error = await new Promise<Error | null>((resolve) =>
        publicOnlyLookup('localhost', options, (failure: Error | null, _address: string | LookupAddress[]) =>
          resolve(failure),
        ),
      );
      expect(error).toBeInstanceOf(DestinationRefused);
    },
  );
});
