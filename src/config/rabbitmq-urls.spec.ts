import { rabbitmqNodeName, readRabbitmqUrls, usesGuestCredentials } from './rabbitmq-urls';

describe('readRabbitmqUrls', () => {
  it('reads one URL as a list of one', () => {
    expect(readRabbitmqUrls('amqp://payments:s3cret@rabbitmq:5672')).toEqual({
      urls: ['amqp://payments:s3cret@rabbitmq:5672'],
    });
  });

  it("reads the nodes of a cluster in the list's order, ignoring whitespace around each", () => {
    expect(readRabbitmqUrls(' amqp://u:p@rabbit-1:5672 ,amqps://u:p@rabbit-2:5671,\tamqp://u:p@rabbit-3 ')).toEqual({
      urls: ['amqp://u:p@rabbit-1:5672', 'amqps://u:p@rabbit-2:5671', 'amqp://u:p@rabbit-3'],
    });
  });

  it('keeps a vhost and query parameters of each URL as they are', () => {
    expect(readRabbitmqUrls('amqp://u:p@a:5672/payments?frameMax=0x1000,amqp://u:p@b:5672/payments')).toEqual({
      urls: ['amqp://u:p@a:5672/payments?frameMax=0x1000', 'amqp://u:p@b:5672/payments'],
    });
  });

  it.each([
    ['a URL of another protocol', 'redis://127.0.0.1:6379', /^must be a URL with protocol amqp: or amqps:$/],
    ['no URL at all', 'rabbitmq', /^must be a URL with protocol amqp: or amqps:$/],
    ['a bad second node', 'amqp://u:p@a:5672,http://b:5672', /\(entry 2 of 2 is not\)$/],
    ['an empty entry', 'amqp://u:p@a:5672,,amqp://u:p@b:5672', /^has an empty entry 2 of 3/],
    ['a trailing comma', 'amqp://u:p@a:5672,', /^has an empty entry 2 of 2/],
    ['the same node twice', 'amqp://u:p@a:5672, amqp://u:p@a:5672', /^lists the same node twice \(entry 2 of 2\)$/],
  ])('refuses %s, saying which entry', (_, value, problem) => {
    const reading = readRabbitmqUrls(value);
    expect(reading).toEqual({ problem: expect.stringMatching(problem) as string });
  });

  it('never repeats a URL, credentials included, in its reason', () => {
    const reading = readRabbitmqUrls('amqp://payments:s3cret@a:5672,ftp://payments:s3cret@b');
    expect('problem' in reading && reading.problem).not.toContain('s3cret');
  });
});

describe('usesGuestCredentials', () => {
  it.each([
    ['amqp://guest:guest@rabbitmq:5672', true],
    ['amqp://rabbitmq:5672', true],
    ['amqp://guest@rabbitmq:5672', true],
    ['amqp://payments:s3cret@rabbitmq:5672', false],
    ['amqp://guest:other@rabbitmq:5672', false],
  ])('%s → %s', (url, guest) => {
    expect(usesGuestCredentials(url)).toBe(guest);
  });
});

describe('rabbitmqNodeName', () => {
  it('names host and port, the protocol default when unset, never the credentials', () => {
    expect(rabbitmqNodeName('amqp://payments:s3cret@rabbit-1:5673/vhost')).toBe('rabbit-1:5673');
    expect(rabbitmqNodeName('amqp://payments:s3cret@rabbit-1')).toBe('rabbit-1:5672');
    expect(rabbitmqNodeName('amqps://payments:s3cret@rabbit-1')).toBe('rabbit-1:5671');
  });
});
