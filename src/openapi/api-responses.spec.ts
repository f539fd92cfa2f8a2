import { ERROR_STATUSES, errorResponseOptions } from './api-responses';

describe('errorResponseOptions', () => {
  it('documents each error status with the Error component', () => {
    const options = errorResponseOptions(ERROR_STATUSES);
    expect(options.map((option) => option.status)).toEqual([...ERROR_STATUSES]);
    for (const option of options) {
      expect(option).toMatchObject({ schema: { $ref: '#/components/schemas/Error' } });
      expect(option.description).toMatch(/\w/);
    }
  });

  it('names Retry-After where the API sends it: a key in flight, a rate limit, an outage', () => {
    const withRetryAfter = errorResponseOptions(ERROR_STATUSES)
      .filter((option) => 'headers' in option && option.headers?.['Retry-After'] !== undefined)
      .map((option) => option.status);
    expect(withRetryAfter).toEqual([409, 429, 503]);
  });

  it('refuses a status listed twice', () => {
    expect(() => errorResponseOptions([404, 404])).toThrow('listed twice');
  });
});
