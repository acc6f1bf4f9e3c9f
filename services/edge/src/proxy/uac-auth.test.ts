/** uac_auth credentials never reach logs or events. */
import { describe, expect, it } from 'vitest';
import { withoutCredentials } from './uac-auth.js';

describe('withoutCredentials', () => {
  it('replaces auth by a marker and leaves a route without it alone', () => {
    expect(withoutCredentials({ uri: 'sip:a@b', auth: { username: 'u', password: 'p' } })).toEqual({ uri: 'sip:a@b', auth: '[redacted]' });
    expect(withoutCredentials({ uri: 'sip:a@b' })).toEqual({ uri: 'sip:a@b' });
  });
});
