/**
 * Stable codes for messages the parser refuses. Only framing and structure are refused here: a
 * message whose start line and header lines are well formed and which has a usable top Via is
 * returned, even when other headers are missing or broken, so that the sanity checks can answer
 * it with a precise 4xx (RFC 3261 §8.2, §16.3) instead of dropping it silently.
 */
export const ParseErrorCode = {
  empty: 'EDGE_ERR_EMPTY_MESSAGE',
  badStartLine: 'EDGE_ERR_BAD_START_LINE',
  badHeader: 'EDGE_ERR_BAD_HEADER',
  noHeaderEnd: 'EDGE_ERR_NO_HEADER_END',
  missingVia: 'EDGE_ERR_MISSING_VIA',
  badVia: 'EDGE_ERR_BAD_VIA',
} as const;
export type ParseErrorCode = (typeof ParseErrorCode)[keyof typeof ParseErrorCode];

export interface ParseError {
  readonly code: ParseErrorCode;
  /** Human-readable detail for logs; never sent on the wire as is. */
  readonly reason: string;
}
