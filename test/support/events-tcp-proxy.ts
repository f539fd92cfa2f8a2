import { createServer, type Server, type Socket, connect } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
}

/**
 * A TCP proxy the test owns, between the app and RabbitMQ, so an outage can be staged without touching the
 * shared server: `cut` drops every connection and refuses new ones until `restore`; `holdReplies` stops
 * forwarding what the broker sends (its confirms among it) until `releaseReplies`; `freeze` stops forwarding
 * anything either way (a connection that hangs: what the app sends never reaches the broker) until `cut`.
 */
export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private server: Server | undefined;
  private holding = false;
  private frozen = false;
  /** Connections accepted since the proxy started. */
  accepted = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private listenPort: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort, 0);
    await proxy.listen();
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  url(credentials = 'guest:guest'): string {
    return `amqp://${credentials}@127.0.0.1:${this.listenPort}`;
  }

  get open(): number {
    return this.pairs.size;
  }

  /** Every open connection is dropped at once and new ones are refused (nothing listens on the port). */
  async cut(): Promise<void> {
    this.frozen = false;
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    await closed;
  }

  async restore(): Promise<void> {
    if (!this.server) await this.listen();
  }

  holdReplies(): void {
    this.holding = true;
    for (const pair of this.pairs) this.hold(pair);
  }

  releaseReplies(): void {
    this.holding = false;
    for (const pair of this.pairs) pair.upstream.pipe(pair.client);
  }

  freeze(): void {
    this.frozen = true;
    for (const pair of this.pairs) this.freezePair(pair);
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private hold(pair: Pair): void {
    pair.upstream.unpipe(pair.client);
    pair.upstream.pause();
  }

  private freezePair(pair: Pair): void {
    pair.client.unpipe(pair.upstream);
    pair.client.pause();
    this.hold(pair);
  }

  private async listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
    this.listenPort = (server.address() as { port: number }).port;
    this.server = server;
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    const upstream = connect(this.targetPort, this.targetHost);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    if (this.holding) this.hold(pair);
    else upstream.pipe(client);
    if (this.frozen) this.freezePair(pair);
  }
}
