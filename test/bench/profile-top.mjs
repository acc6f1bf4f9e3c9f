#!/usr/bin/env node
// profile-top.mjs FILE.cpuprofile... [--top N] [--from-us T] [--to-us T] [--callers NAME [--own]] [--json]
// Where a `node --cpu-prof` profile spent its time: self time per package/dir and per function,
// inclusive time per function. --from-us/--to-us keep only samples in that CLOCK_MONOTONIC window
// (bench.mjs --profile passes the UAC's window, so start-up and shutdown are left out).
// --callers NAME: the time of the functions matching NAME split by their direct callers
// (--own: by the nearest caller in this repository's code).
import { readFileSync } from 'node:fs';
import { callersOf, formatProfileSummary, summarizeCpuProfile } from './lib/cpu-profile.mjs';

const args = process.argv.slice(2);
const valueOf = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const withValue = new Set(['--top', '--from-us', '--to-us', '--callers']);
const files = args.filter((a, i) => !a.startsWith('--') && !withValue.has(args[i - 1] ?? ''));
if (files.length === 0) {
  console.error('usage: node test/bench/profile-top.mjs FILE.cpuprofile... [--top N] [--from-us T] [--to-us T] [--callers NAME [--own]] [--json]');
  process.exit(2);
}
const opts = { top: Number(valueOf('--top') ?? 25) };
if (valueOf('--from-us') !== undefined) opts.fromUs = Number(valueOf('--from-us'));
if (valueOf('--to-us') !== undefined) opts.toUs = Number(valueOf('--to-us'));
if (args.includes('--own')) opts.ownCode = true;

const callers = valueOf('--callers');
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  if (callers !== undefined) {
    console.log(`== ${file}: callers of "${callers}" (% of its inclusive time)`);
    for (const r of callersOf(profile, callers, opts)) console.log(`${r.pct_of_busy.toFixed(1).padStart(6)} %  ${String(r.ms).padStart(9)} ms  ${r.name}`);
    continue;
  }
  const s = summarizeCpuProfile(profile, opts);
  if (args.includes('--json')) console.log(JSON.stringify({ file, ...s }, null, 2));
  else console.log(formatProfileSummary(file, s));
}
