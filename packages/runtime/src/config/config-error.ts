export const ConfigErrorCode = {
  invalid: 'CONFIG_INVALID',
  fileUnreadable: 'CONFIG_FILE_UNREADABLE',
  fileMalformed: 'CONFIG_FILE_MALFORMED',
  schemaInvalid: 'CONFIG_SCHEMA_INVALID',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

export interface ConfigIssue {
  /** Dotted setting path (`sip.port`); empty for the whole document. */
  readonly path: string;
  readonly message: string;
  /** Where the offending value came from: `file <path>`, `env <NAME>`, `override`, or `default`. */
  readonly source?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly code: ConfigErrorCode,
    readonly issues: readonly ConfigIssue[],
    summary: string,
  ) {
    super(`${summary}:\n${issues.map(formatIssue).join('\n')}`);
  }
}

function formatIssue(issue: ConfigIssue): string {
  const where = issue.path === '' ? '(root)' : issue.path;
  return `  - ${where}: ${issue.message}${issue.source === undefined ? '' : ` (from ${issue.source})`}`;
}
