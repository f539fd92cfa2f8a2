const parameterPattern = /:([A-Za-z0-9_]+)/g;

// Shapes whose matched text cannot be rebuilt from the named parameters alone.
const unsupportedPattern = /[*(]|::/;

/**
 * The path a request matched, rebuilt from its route's pattern and its (decoded) path parameters:
 * `/v1/payments/:id/capture` with id `pay_1` is `/v1/payments/pay_1/capture`, whatever query string or
 * percent-encoding the client used. An idempotency key is bound to this path, so a retry matches its original.
 */
export function routePathOf(pattern: string, params: Readonly<Record<string, unknown>>): string {
  if (unsupportedPattern.test(pattern)) {
    throw new RangeError(`route ${pattern}: only plain :name parameters can be rebuilt into a path`);
  }
  return pattern.replace(parameterPattern, (_match, name: string) => {
    const value = params[name];
    if (typeof value !== 'string') throw new RangeError(`route ${pattern}: no value for parameter :${name}`);
    return value;
  });
}
