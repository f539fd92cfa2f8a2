import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received: what a receiver must verify the signature against. */
  rawBody: string;
  receivedAtMs: number;
}

/** `hang` never answers (a receiver that times out). */
export type Answer = number | 'hang';

/** A local webhook receiver (node:http on 127.0.0.1, a free port) that records every request it gets. */
export class WebhookReceiver {
  readonly deliveries: ReceivedDelivery[] = [];

  private readonly server: Server;
  private listeningPort = 0;

  private constructor(private answer: (delivery: ReceivedDelivery, index: number) => Answer) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const delivery = {
          path: request.url ?? '/',
          headers: request.headers,
          rawBody: Buffer.concat(chunks).toString('utf8'),
          receivedAtMs: Date.now(),
        };
        const index = this.deliveries.push(delivery) - 1;
        const status = this.answer(delivery, index);
        if (status === 'hang') return;
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
      });
    });
  }

  static async start(
    answer: (delivery: ReceivedDelivery, index: number) => Answer = () => 200,
  ): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(answer);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.listeningPort = (receiver.server.address() as { port: number }).port;
    return receiver;
  }

  get port(): number {
    return this.listeningPort;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  answerWith(answer: (delivery: ReceivedDelivery, index: number) => Answer): void {
    this.answer = answer;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
