/**
 * Where the default policy finds the phones registered for an address of record. The registrar
 * service provides it over the bus; a router without one answers every local user `404 Not Found`,
 * as Kamailio's lookup does when it finds no binding.
 */
export interface RegisteredContact {
  /** The Contact URI the phone registered. */
  readonly uri: string;
  /** 0..1; a missing q counts as 1 when ordering. */
  readonly q?: number;
  /** The source the REGISTER came from, when it differs from the Contact (NAT): `sip:ip:port;transport=...`. */
  readonly received?: string;
  /** Path header values stored with the binding (RFC 3327), in order. */
  readonly path?: readonly string[];
}

export interface LocationService {
  /** Current contacts of `aor` (`user@domain`, or `user` when the registrar ignores domains). */
  lookup(aor: string): Promise<readonly RegisteredContact[]>;
}
