/** SettingsBucket over NATS KV (@nats-io/kv): one JetStream-backed bucket per name. */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { SettingsBucket } from './settings-bucket.js';

export class NatsSettingsBucket implements SettingsBucket {
  private constructor(
    readonly name: string,
    private readonly kv: KV,
  ) {}

  /** Opens the bucket, creating it when it does not exist yet. */
  static async open(nc: NatsConnection, name: string): Promise<NatsSettingsBucket> {
    return new NatsSettingsBucket(name, await new Kvm(nc).create(name, { history: 5 }));
  }

  async get(key: string): Promise<string | undefined> {
    const e = await this.kv.get(key);
    return e === null || e.operation !== 'PUT' ? undefined : e.string();
  }

  async put(key: string, value: string): Promise<void> {
    await this.kv.put(key, value);
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(key);
  }

  /**
   * The current entries are read first (up to the stream's last revision), then the watch resumes
   * right after that revision, so no change is lost between the two; a change already seen in
   * the snapshot is delivered again, in order, which leaves the same final state.
   */
  async watch(onChange: (key: string, value: string | undefined) => void): Promise<() => void> {
    const last = (await this.kv.status()).streamInfo.state.last_seq;
    for await (const key of await this.kv.keys()) {
      const e = await this.kv.get(key);
      if (e !== null && e.operation === 'PUT') onChange(key, e.string());
    }
    const iter = await this.kv.watch({ resumeFromRevision: last + 1 });
    void (async () => {
      for await (const e of iter) onChange(e.key, e.operation === 'PUT' ? e.string() : undefined);
    })().catch(() => undefined);
    return () => iter.stop();
  }
}
