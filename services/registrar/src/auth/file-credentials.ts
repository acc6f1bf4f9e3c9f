/**
 * Subscribers held in memory, from rows a file gave (subscriber-file.ts): the credential source
 * of a registrar without a database. Reloading means building a new one.
 */
import { subscriberKey, type CredentialSource, type Subscriber } from './credential-source.js';
import { loadSubscriberFile, type SubscriberFileError, type SubscriberFileOptions } from './subscriber-file.js';

export interface FileCredentialOptions {
  /** Kamailio auth_db use_domain: false looks users up by name alone (the first row wins). */
  readonly useDomain: boolean;
}

export class FileCredentialSource implements CredentialSource {
  private readonly byKey = new Map<string, Subscriber>();

  constructor(
    rows: readonly Subscriber[],
    private readonly options: FileCredentialOptions,
  ) {
    for (const row of rows) {
      const key = subscriberKey(row.username, row.domain, options.useDomain);
      if (!this.byKey.has(key)) this.byKey.set(key, row);
    }
  }

  /** Reads a CSV / YAML / JSON subscriber file (see subscriber-file.ts). */
  static async load(
    path: string,
    options: FileCredentialOptions & SubscriberFileOptions,
  ): Promise<{ ok: true; source: FileCredentialSource } | { ok: false; error: SubscriberFileError }> {
    const loaded = await loadSubscriberFile(path, options);
    if (!loaded.ok) return loaded;
    return { ok: true, source: new FileCredentialSource(loaded.subscribers, { useDomain: options.useDomain }) };
  }

  get size(): number {
    return this.byKey.size;
  }

  find(username: string, domain: string): Promise<Subscriber | undefined> {
    return Promise.resolve(this.byKey.get(subscriberKey(username, domain, this.options.useDomain)));
  }
}
