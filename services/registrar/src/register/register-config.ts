/**
 * REGISTER rules, named after Kamailio registrar modparams. The service maps its validated config
 * section (config/registrar-config.ts) onto this; defaults are Kamailio's except `pathMode`.
 */

/**
 * What happens to Path headers (RFC 3327) of a REGISTER; Kamailio `path_mode` 0/1/2.
 * - off: stored, never echoed in the 200.
 * - lazy: stored, echoed when the phone sent `Supported: path`.
 * - strict: as lazy, but a REGISTER with Path and no `Supported: path` gets 420 Bad Extension
 *   (RFC 3327 §5.3 lets a registrar insist).
 */
export const PathMode = { off: 'off', lazy: 'lazy', strict: 'strict' } as const;
export type PathMode = (typeof PathMode)[keyof typeof PathMode];

/** Kamailio's `path_mode` numbers, mapped at the config boundary. */
export const KAMAILIO_PATH_MODE: Readonly<Record<number, PathMode>> = { 0: PathMode.off, 1: PathMode.lazy, 2: PathMode.strict };

export interface RegisterConfig {
  /** Lifetime of a contact that names none, s (default_expires). */
  readonly defaultExpiresSec: number;
  /** Shorter requested lifetimes get 423 with Min-Expires, s (min_expires); 0: no minimum. */
  readonly minExpiresSec: number;
  /** Longer requested lifetimes are cut to this, s; 0: no limit (max_expires). */
  readonly maxExpiresSec: number;
  /** Most bindings per AoR after a REGISTER; 0: no limit (max_contacts). */
  readonly maxContacts: number;
  /** Store Path headers with the bindings (use_path). */
  readonly usePath: boolean;
  readonly pathMode: PathMode;
  /** AoRs are user@domain; false: the user part alone (usrloc use_domain). */
  readonly useDomain: boolean;
  /**
   * A REGISTER repeating a binding's Call-ID and CSeq within this many seconds of the binding's
   * last change is a retransmission: the binding stays and the reply is 200; later it is out of
   * order (400). Kamailio usrloc `cseq_delay`.
   */
  readonly retransmissionWindowSec: number;
}

/**
 * Kamailio's defaults, except pathMode: Kamailio's default 2 (strict) would answer 420 to every
 * phone that registers through a Path-adding proxy without saying `Supported: path`, which is most
 * of them; lazy stores the Path all the same.
 */
export const DEFAULT_REGISTER_CONFIG: RegisterConfig = Object.freeze({
  defaultExpiresSec: 3600,
  minExpiresSec: 60,
  maxExpiresSec: 86400,
  maxContacts: 0,
  usePath: true,
  pathMode: PathMode.lazy,
  useDomain: true,
  retransmissionWindowSec: 20,
});
