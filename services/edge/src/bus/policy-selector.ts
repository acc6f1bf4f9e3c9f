/**
 * Which policy a new request is routed by, switched live through the settings bucket (no restart,
 * no dropped call: a transaction keeps the policy it was first asked with):
 *
 *   policy.default                → the policy for every domain without its own entry
 *                                   (else the edge's `route.policy`)
 *   policy.domain.<domain>        → the policy for requests whose Request-URI host is <domain>
 *   canary.<policy>               → {"policy":"<other>","weight":<0-100>}: that share of the
 *                                   requests for <policy> goes to <other> instead, chosen by a hash
 *                                   of the Call-ID so every request of a call goes the same way
 *
 * A value that is not a valid policy name (or canary document) is logged and ignored.
 */
import { isSubjectToken } from '@sipmesh/contracts';

export interface PolicySelectorEvents {
  rejected(key: string, value: string, reason: string): void;
  canary(): void;
}

interface Canary {
  readonly policy: string;
  readonly weight: number;
}

export class PolicySelector {
  private override: string | undefined;
  private readonly byDomain = new Map<string, string>();
  private readonly canaries = new Map<string, Canary>();

  constructor(
    private readonly configured: string,
    private readonly events: PolicySelectorEvents,
  ) {}

  /** The policy for a request to `host` in call `callId`. */
  select(host: string | undefined, callId: string): string {
    const base = (host === undefined ? undefined : this.byDomain.get(host.toLowerCase())) ?? this.override ?? this.configured;
    const canary = this.canaries.get(base);
    if (canary === undefined || canary.weight <= 0) return base;
    if (canary.weight >= 100 || fnv1a(callId) % 100 < canary.weight) {
      this.events.canary();
      return canary.policy;
    }
    return base;
  }

  /** One entry of the settings bucket changed (`undefined`: deleted). Keys it does not know are ignored. */
  apply(key: string, value: string | undefined): void {
    if (key === 'policy.default') {
      this.override = this.policyName(key, value);
    } else if (key.startsWith('policy.domain.')) {
      const domain = key.slice('policy.domain.'.length).toLowerCase();
      const name = this.policyName(key, value);
      if (name === undefined) this.byDomain.delete(domain);
      else this.byDomain.set(domain, name);
    } else if (key.startsWith('canary.')) {
      const policy = key.slice('canary.'.length);
      const canary = value === undefined ? undefined : this.canaryOf(key, value);
      if (canary === undefined) this.canaries.delete(policy);
      else this.canaries.set(policy, canary);
    }
  }

  private policyName(key: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    const name = value.trim();
    if (isSubjectToken(name)) return name;
    this.events.rejected(key, value, 'not a policy name (letters, digits, _ and -)');
    return undefined;
  }

  private canaryOf(key: string, value: string): Canary | undefined {
    let doc: unknown;
    try {
      doc = JSON.parse(value);
    } catch {
      this.events.rejected(key, value, 'not JSON');
      return undefined;
    }
    const { policy, weight } = (doc ?? {}) as { policy?: unknown; weight?: unknown };
    if (typeof policy !== 'string' || !isSubjectToken(policy) || typeof weight !== 'number' || !(weight >= 0 && weight <= 100)) {
      this.events.rejected(key, value, 'expected {"policy": "<name>", "weight": 0-100}');
      return undefined;
    }
    return { policy, weight };
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
