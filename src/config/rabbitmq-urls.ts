// RABBITMQ_URL names the nodes of one RabbitMQ cluster, comma-separated. Every connection of the app is given the
// whole list (amqp-connection-manager, and Nest's RMQ transport on top of it, take several URLs and move on to the
// next one when a node goes away or refuses), so the list is read and checked once, here.

const rabbitmqProtocols: readonly string[] = ['amqp:', 'amqps:'];

/** The list's URLs in order, or why it is not a list of AMQP URLs (no URL is repeated in the reason). */
export type RabbitmqUrlsReading = { urls: string[] } | { problem: string };

function isAmqpUrl(value: string): boolean {
  try {
    return rabbitmqProtocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/**
 * Reads `value`, one AMQP URL or several separated by commas (whitespace around each is ignored). An empty entry
 * (`a,,b`, a trailing comma) is refused rather than skipped: it is a copy-paste slip, and a node silently missing
 * from the list would only show when the others fail. So is the same URL twice.
 */
export function readRabbitmqUrls(value: string): RabbitmqUrlsReading {
  const urls = value.split(',').map((entry) => entry.trim());
  for (const [index, url] of urls.entries()) {
    const entry = urls.length > 1 ? ` (entry ${index + 1} of ${urls.length} is not)` : '';
    if (url === '' && urls.length > 1)
      return { problem: `has an empty entry ${index + 1} of ${urls.length}: give AMQP URLs separated by commas` };
    if (!isAmqpUrl(url)) return { problem: `must be a URL with protocol ${rabbitmqProtocols.join(' or ')}${entry}` };
  }
  const repeated = urls.findIndex((url, index) => urls.indexOf(url) !== index);
  if (repeated !== -1) return { problem: `lists the same node twice (entry ${repeated + 1} of ${urls.length})` };
  return { urls };
}

/** Whether `url` logs in as RabbitMQ's default user: guest/guest spelled out, or no credentials at all. */
export function usesGuestCredentials(url: string): boolean {
  const parsed = new URL(url);
  // An AMQP URL without credentials logs in as guest/guest.
  const user = decodeURIComponent(parsed.username) || 'guest';
  const password = decodeURIComponent(parsed.password) || 'guest';
  return user === 'guest' && password === 'guest';
}

/** The node a URL names, for logs and errors: host and port, never its credentials. */
export function rabbitmqNodeName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol === 'amqps:' ? '5671' : '5672')}`;
}
