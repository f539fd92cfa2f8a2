import { retryAfterSeconds } from './gcra';

describe('retryAfterSeconds', () => {
  it.each([
    [0, 1],
    [1, 1],
    [200, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [2500, 3],
    [59_999, 60],
  ])('tells a client refused for %d ms to wait %d s (whole seconds, at least 1, rounded up)', (waitMs, seconds) => {
    expect(retryAfterSeconds(waitMs)).toBe(seconds);
  });
});
