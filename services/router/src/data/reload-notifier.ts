/**
 * `LISTEN <channel>` on the routing database: a `NOTIFY` (from an operator, a trigger or an admin
 * tool after changing routing tables) reloads the routes. Notifications that arrive close together
 * make one reload. A lost connection is reopened every few seconds, and reloads once it is back
 * (changes may have come meanwhile); while it is down the loaded data keeps serving.
 */
import pg from 'pg';

export interface ReloadNotifierOptions {
  url: string;
  channel: string;
  onNotify: () => void;
  onError: (e: Error) => void;
  /** Notifications within this window make one reload. */
  debounceMs?: number;
  reconnectMs?: number;
}

export class ReloadNotifier {
  private client: pg.Client | undefined;
  private stopped = false;
  private debounce: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private wasLost = false;

  constructor(private readonly options: ReloadNotifierOptions) {}

  /** Resolves once listening (or after the first failure, which is reported and retried). */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url });
    client.on('notification', () => this.notified());
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.options.channel}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      if (this.wasLost) {
        // changes made while we were not listening
        this.wasLost = false;
        this.notified();
      }
    } catch (e) {
      this.lost(client, e as Error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.debounce);
    clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private notified(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(this.options.onNotify, this.options.debounceMs ?? 200);
  }

  private lost(client: pg.Client, e: Error): void {
    if (this.stopped || this.retry !== undefined) return;
    if (this.client === client) this.client = undefined;
    this.wasLost = true;
    client.end().catch(() => undefined);
    this.options.onError(e);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) void this.start();
    }, this.options.reconnectMs ?? 5000);
    this.retry.unref();
  }
}
