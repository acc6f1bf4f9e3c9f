// Static checks of every scenario in test/scenarios: the properties that
// keep a broken proxy from hanging a test run, checked on the files.
import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { scenarioPath } from './sipp.js';

interface Step {
  readonly kind: 'send' | 'recv' | 'pause' | 'nop' | 'label';
  readonly tag: string;
}

/** The scenario's top-level steps, in order (comments and CDATA bodies removed). */
function steps(xml: string): Step[] {
  const stripped = xml.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const found: Step[] = [];
  for (const match of stripped.matchAll(/<(send|recv|pause|nop|label)\b[^>]*>/g)) {
    found.push({ kind: match[1] as Step['kind'], tag: match[0] });
  }
  return found;
}

const files = (await readdir(scenarioPath('.'))).filter((f) => f.endsWith('.xml')).sort();

describe('scenario files', () => {
  test('the expected set is there', () => {
    expect(files).toEqual([
      'uac-call-486.xml',
      'uac-call-auth.xml',
      'uac-call-callee-bye.xml',
      'uac-call-lossy.xml',
      'uac-call-retransmit.xml',
      'uac-call-unanswered.xml',
      'uac-call.xml',
      'uac-cancel.xml',
      'uac-expect-404.xml',
      'uac-expect-503.xml',
      'uac-media-call.xml',
      'uac-media-callee-reinvite.xml',
      'uac-media-late-offer.xml',
      'uac-message.xml',
      'uac-register-banned.xml',
      'uac-register-nat.xml',
      'uac-register-rejected.xml',
      'uac-register.xml',
      'uas-486.xml',
      'uas-503.xml',
      'uas-call-bye.xml',
      'uas-call-late-answer.xml',
      'uas-call-lossy.xml',
      'uas-call-slow.xml',
      'uas-call.xml',
      'uas-challenge-407.xml',
      'uas-media-call.xml',
      'uas-media-callee-reinvite.xml',
      'uas-media-late-offer.xml',
      'uas-message.xml',
      'uas-registrar-challenge.xml',
      'uas-ring-expect-cancel.xml',
      'uas-ring-no-answer.xml',
      'uas-ring-then-answer.xml',
    ]);
  });

  test.each(files)('%s: every wait has its own timeout, a role that matches its name, a header', async (file) => {
    const xml = await readFile(scenarioPath(file), 'utf8');
    const all = steps(xml);
    const first = all.find((s) => s.kind !== 'label');
    // uac-* starts by sending, uas-* by receiving (SIPp picks its mode from that).
    expect(first?.kind).toBe(file.startsWith('uac-') ? 'send' : 'recv');
    all.forEach((step, i) => {
      if (step.kind !== 'recv') return;
      // A UAS's first receive creates the call: nothing to time out yet.
      if (i === 0 && file.startsWith('uas-')) return;
      // SIPp applies only the current step's timeout: every receive needs one,
      // optional ones included (a silent proxy otherwise holds the call for
      // SIPp's whole UDP retransmission schedule).
      expect(step.tag, `${file}: ${step.tag}`).toMatch(/\btimeout="\d+"/);
    });
    // The top comment says what the scenario does.
    expect(xml).toMatch(new RegExp(`<!--\\s*\\n\\s*${file.replace('.', '\\.')} - `));
  });
});
