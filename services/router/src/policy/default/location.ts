/**
 * Where the default policy finds the phones registered for an address of record: the registrar
 * service over the bus (RegistrarClient). A router without one answers every local user
 * `404 Not Found`, as Kamailio's lookup does when it finds no binding.
 */
import type { LocationContact } from '@sipmesh/contracts';

export type { LocationContact };

export interface LocationService {
  /**
   * Current contacts of `aor` (`user@domain`, or `user` when looking up without domains) in
   * forking order: groups of equal q, highest q first. Rejects when the registrar cannot answer.
   */
  lookup(aor: string): Promise<readonly (readonly LocationContact[])[]>;
}

/** The registrar could not answer; `absent` when none is running at all (no responders). */
export class RegistrarUnavailable extends Error {
  constructor(
    message: string,
    readonly absent = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
