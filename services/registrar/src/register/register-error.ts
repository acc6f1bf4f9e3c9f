/**
 * Why a REGISTER was refused, and the one table mapping each reason to its SIP reply. Reason
 * phrases and the `P-Registrar-Error` detail header follow Kamailio's registrar (reply.c), so
 * operators' existing log searches and SIPp scenarios keep working.
 */

export const RegisterErrorCode = {
  noUser: 'REGISTRAR_ERR_NO_USER',
  badContact: 'REGISTRAR_ERR_BAD_CONTACT',
  badQ: 'REGISTRAR_ERR_BAD_Q',
  badContactExpires: 'REGISTRAR_ERR_BAD_CONTACT_EXPIRES',
  badExpiresHeader: 'REGISTRAR_ERR_BAD_EXPIRES_HEADER',
  starWithExpires: 'REGISTRAR_ERR_STAR_WITH_EXPIRES',
  starNotAlone: 'REGISTRAR_ERR_STAR_NOT_ALONE',
  multipleRegId: 'REGISTRAR_ERR_MULTIPLE_REG_ID',
  cseqOutOfOrder: 'REGISTRAR_ERR_CSEQ_OUT_OF_ORDER',
  intervalTooBrief: 'REGISTRAR_ERR_INTERVAL_TOO_BRIEF',
  pathUnsupported: 'REGISTRAR_ERR_PATH_UNSUPPORTED',
  tooManyContacts: 'REGISTRAR_ERR_TOO_MANY_CONTACTS',
  locationStore: 'REGISTRAR_ERR_LOCATION_STORE',
} as const;
export type RegisterErrorCode = (typeof RegisterErrorCode)[keyof typeof RegisterErrorCode];

export interface RegisterError {
  readonly code: RegisterErrorCode;
  /** Detail for logs; the wire gets the table's text. */
  readonly detail: string;
}

interface ErrorReply {
  readonly status: number;
  readonly reason: string;
  /** Sent as `P-Registrar-Error` (Kamailio's diagnostic header). */
  readonly info: string;
}

export const REGISTER_ERROR_REPLY: Readonly<Record<RegisterErrorCode, ErrorReply>> = {
  [RegisterErrorCode.noUser]: { status: 400, reason: 'Bad Request', info: 'No username in To URI' },
  [RegisterErrorCode.badContact]: { status: 400, reason: 'Invalid Contact', info: 'Contact parse error' },
  [RegisterErrorCode.badQ]: { status: 400, reason: 'Invalid Contact', info: 'Invalid q param in contact' },
  [RegisterErrorCode.badContactExpires]: { status: 400, reason: 'Invalid Contact', info: 'Invalid expires param in contact' },
  [RegisterErrorCode.badExpiresHeader]: { status: 400, reason: 'Bad Request', info: 'Expires parse error' },
  // RFC 3261 §10.3 step 6: '*' needs Expires: 0 and no other Contact, else 400.
  [RegisterErrorCode.starWithExpires]: { status: 400, reason: 'Invalid Contact', info: '* used in contact and expires is not zero' },
  [RegisterErrorCode.starNotAlone]: { status: 400, reason: 'Invalid Contact', info: '* used in contact and more than 1 contact' },
  // RFC 5626 §6: at most one Contact with reg-id per REGISTER.
  [RegisterErrorCode.multipleRegId]: { status: 400, reason: 'Bad Request', info: 'More than one Contact with reg-id' },
  // RFC 3261 §10.3 step 7: same Call-ID and a CSeq not higher: "the update MUST be aborted and the request fails".
  [RegisterErrorCode.cseqOutOfOrder]: { status: 400, reason: 'Bad Request', info: 'Invalid CSeq number' },
  // RFC 3261 §10.3 step 7 / §21.4.17, with Min-Expires.
  [RegisterErrorCode.intervalTooBrief]: { status: 423, reason: 'Interval Too Brief', info: 'Expires lower than minimum' },
  // RFC 3327 §5.3 with Unsupported: path (path_mode strict).
  [RegisterErrorCode.pathUnsupported]: { status: 420, reason: 'Bad Extension', info: 'No support for found Path indicated' },
  // Kamailio answers max_contacts with 503 (R_TOO_MANY); kept for compatibility.
  [RegisterErrorCode.tooManyContacts]: { status: 503, reason: 'Service Unavailable', info: 'Too many registered contacts' },
  [RegisterErrorCode.locationStore]: { status: 500, reason: 'Server Internal Error', info: 'Location service failed' },
};
