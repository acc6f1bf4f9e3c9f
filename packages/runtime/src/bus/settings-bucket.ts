/**
 * Live settings shared by every process of a deployment: a key-value bucket (NATS KV; in
 * embedded mode an in-memory one). Services watch it and change behaviour without a restart,
 * e.g. which policy serves a domain. Keys follow NATS subject rules (`policy.domain.example.com`).
 */

export interface SettingsBucket {
  readonly name: string;
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Calls `onChange` once for every current entry, then for every change as it happens
   * (`undefined`: the key was deleted). Resolves once the current entries were delivered; the
   * returned function stops watching.
   */
  watch(onChange: (key: string, value: string | undefined) => void): Promise<() => void>;
}

/** The in-memory bucket of embedded mode (and of LocalBus tests). */
export class LocalSettingsBucket implements SettingsBucket {
  private readonly values = new Map<string, string>();
  private readonly watchers = new Set<(key: string, value: string | undefined) => void>();

  constructor(readonly name: string) {}

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(key));
  }

  put(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    for (const w of this.watchers) w(key, value);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    if (this.values.delete(key)) for (const w of this.watchers) w(key, undefined);
    return Promise.resolve();
  }

  watch(onChange: (key: string, value: string | undefined) => void): Promise<() => void> {
    for (const [k, v] of this.values) onChange(k, v);
    this.watchers.add(onChange);
    return Promise.resolve(() => {
      this.watchers.delete(onChange);
    });
  }
}
