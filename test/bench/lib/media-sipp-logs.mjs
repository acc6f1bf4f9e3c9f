/**
 * SIPp files of the media scenario's invite part: the INVITE -> 200 times of a UAC's
 * -trace_shortmsg file, and the audio ports uac-call-sdp.xml / uas-call-sdp.xml log per call
 * (-trace_logs).
 */

/**
 * INVITE -> first 200 per Call-ID from a SIPp -trace_shortmsg file (tab-separated: date, time,
 * epoch s.us, S|R, Call-ID, CSeq, first line), in ms with microseconds.
 */
export function inviteTimes(text) {
  const sent = new Map();
  const answered = new Set();
  const out = [];
  let base = null;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f.length < 7 || !f[5].endsWith(' INVITE')) continue;
    const [sec, us = '0'] = f[2].split('.');
    base ??= Number(sec);
    const t = (Number(sec) - base) * 1e6 + Number(us.padEnd(6, '0').slice(0, 6));
    const callId = f[4];
    if (f[3] === 'S' && f[6].startsWith('INVITE ')) {
      // a retransmitted INVITE keeps the first send's time
      if (!sent.has(callId)) sent.set(callId, t);
    } else if (f[3] === 'R' && f[6].startsWith('SIP/2.0 200') && sent.has(callId) && !answered.has(callId)) {
      // a retransmitted 200 counts once
      answered.add(callId);
      out.push((t - sent.get(callId)) / 1000);
    }
  }
  return out;
}

/**
 * Audio ports logged by the scenarios (lines `<kind> <Call-ID> m=audio <port>`, kind offer at the
 * callee, answer at the caller): how many in [min, max] (rtpengine's RTP ports), how many not.
 */
export function loggedPorts(text, kind, [min, max]) {
  const re = new RegExp(`^${kind} \\S+ m=audio (\\d+)`);
  let inRange = 0;
  let other = 0;
  const sample = [];
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const port = Number(m[1]);
    if (port >= min && port <= max) inRange++;
    else {
      other++;
      if (sample.length < 3) sample.push(port);
    }
  }
  return { rtpengine: inRange, other, other_sample: sample };
}
