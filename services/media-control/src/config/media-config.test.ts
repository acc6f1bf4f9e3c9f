import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '@sipmesh/runtime';
import { mediaConfigSchema, mediaEnvMap, resolveMediaConfig, type MediaConfig } from './media-config.js';

function load(overrides: Record<string, unknown> = {}, env: Record<string, string> = {}): MediaConfig {
  return loadConfig<MediaConfig>({ schema: mediaConfigSchema, env, envMap: mediaEnvMap, overrides }) as MediaConfig;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('no ConfigError');
}

describe('media-control config', () => {
  test('defaults: one rtpengine at 127.0.0.1:2223, memory affinity of 4 h, the built-in profiles', () => {
    const config = load();
    expect(config).toMatchObject({
      id: 'media1',
      rtpengine: { defaultSet: 'default', timeoutMs: 2000, retransmitMs: 250, maxInFlightPerInstance: 64, stateBucket: 'sipmesh-media' },
      health: { pingIntervalMs: 2000, pingTimeoutMs: 1000, downAfterFailures: 2, upAfterSuccesses: 1 },
      affinity: { store: 'memory', keyPrefix: 'sipmesh:media:', ttlSec: 14400 },
      admin: { port: 9073 },
    });
    const resolved = resolveMediaConfig(config);
    expect([...resolved.sets]).toEqual([['default', [{ host: '127.0.0.1', port: 2223, key: '127.0.0.1:2223', weight: 1 }]]]);
    expect(resolved.profiles.has('webrtc-to-sip')).toBe(true);
  });

  test('sets of strings and objects; an instance in two sets', () => {
    const config = load({
      'rtpengine.sets': { default: ['udp:10.0.0.1:2223=2', { url: '10.0.0.2:2223', weight: 3 }], carrier: [{ url: 'udp:10.0.0.1:2223' }] },
      'rtpengine.defaultSet': 'carrier',
    });
    const { sets } = resolveMediaConfig(config);
    expect(sets.get('default')?.map((m) => `${m.key}=${m.weight}`)).toEqual(['10.0.0.1:2223=2', '10.0.0.2:2223=3']);
    expect(sets.get('carrier')?.map((m) => `${m.key}=${m.weight}`)).toEqual(['10.0.0.1:2223=1']);
  });

  test('environment: sets as JSON, the Kamailio-style sock replacing the default set, Redis', () => {
    const config = load(
      {},
      {
        SIPMESH_MEDIA_RTPENGINE_SETS: '{"default":["udp:10.0.0.9:2223"],"b":["udp:10.0.0.8:2223"]}',
        SIPMESH_RTPENGINE_SOCK: 'udp:10.0.0.1:2223=2 udp:10.0.0.2:2223, udp:10.0.0.3:2223=0',
        SIPMESH_MEDIA_AFFINITY_STORE: 'redis',
        SIPMESH_MEDIA_REDIS_URL: 'redis://10.0.0.5:6379',
      },
    );
    const { sets } = resolveMediaConfig(config);
    expect(sets.get('default')?.map((m) => `${m.key}=${m.weight}`)).toEqual(['10.0.0.1:2223=2', '10.0.0.2:2223=1', '10.0.0.3:2223=0']);
    expect(sets.get('b')?.map((m) => m.key)).toEqual(['10.0.0.8:2223']);
    expect(config.affinity).toMatchObject({ store: 'redis', redisUrl: 'redis://10.0.0.5:6379' });
  });

  test('profiles from the config, string or object flags', () => {
    const config = load({ profiles: { carrier: { offer: 'ICE=remove', answer: { replace: ['origin'] } } } });
    expect(resolveMediaConfig(config).profiles.get('carrier')?.flags).toEqual({ offer: { ICE: 'remove' }, answer: { replace: ['origin'] }, delete: {} });
  });

  test('every problem at once: bad URLs, duplicates, a missing default set, a bad profile', () => {
    const config = load({
      'rtpengine.sets': { default: ['udp:10.0.0.1:2223', '10.0.0.1:2223', 'tcp:10.0.0.2:1'], 'bad name': ['rtpengine:2223'] },
      'rtpengine.defaultSet': 'nope',
      profiles: { p: { offer: 'from-tag=x' } },
    });
    const e = configError(() => resolveMediaConfig(config));
    expect(e.issues.map((i) => i.path)).toEqual(['rtpengine.sets.default[1]', 'rtpengine.sets.default[2]', 'rtpengine.sets.bad name', 'rtpengine.sets.bad name[0]', 'rtpengine.defaultSet', 'profiles']);
    expect(e.message).toMatch(/10\.0\.0\.1:2223 is listed twice/);
    expect(e.message).toMatch(/media profile "p", offer: flag "from-tag=x"/);
  });

  test('no default set; the schema refuses an empty set, a bad weight, a bad health value', () => {
    expect(configError(() => resolveMediaConfig(load({ 'rtpengine.sets': { other: ['udp:10.0.0.1:2223'] }, 'rtpengine.defaultSet': 'other' }))).message).toMatch(
      /rtpengine\.sets\.default: is required/,
    );
    expect(configError(() => load({ 'rtpengine.sets': { default: [] } })).message).toMatch(/rtpengine\.sets\.default/);
    expect(configError(() => load({ 'rtpengine.sets': { default: [{ url: '10.0.0.1:1', weight: -1 }] } })).message).toMatch(/rtpengine\.sets\.default/);
    expect(configError(() => load({ 'health.downAfterFailures': '0' })).message).toMatch(/health\.downAfterFailures/);
    expect(configError(() => load({ 'affinity.store': 'etcd' })).message).toMatch(/affinity\.store/);
  });
});
