/**
 * The command line every service accepts: `--config <file>`, `--nats <url>`, `--set path=value`
 * (any setting, repeatable) and `--help`. Service-specific flags map onto settings through
 * `aliases` (e.g. `--listen` → `listen`).
 */
export interface ServiceArgs {
  configFile: string | undefined;
  overrides: Record<string, unknown>;
  help: boolean;
}

export function parseServiceArgs(argv: readonly string[], aliases: Readonly<Record<string, string>> = {}): ServiceArgs {
  const out: ServiceArgs = { configFile: undefined, overrides: {}, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') && !arg.startsWith('--set') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--help' || flag === '-h') out.help = true;
    else if (flag === '--config' || flag === '-c') out.configFile = value();
    else if (flag === '--nats') out.overrides['nats.url'] = value();
    else if (flag === '--set') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq <= 0) throw new Error(`--set expects path=value, got "${v}"`);
      out.overrides[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (flag.startsWith('--') && aliases[flag.slice(2)] !== undefined) out.overrides[aliases[flag.slice(2)] as string] = value();
    else throw new Error(`unknown argument "${arg}" (try --help)`);
  }
  return out;
}
