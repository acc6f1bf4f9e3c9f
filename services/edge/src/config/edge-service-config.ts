/** The edge process's whole configuration: the edge sections plus the sections every service has. */
import { serviceConfigSections, serviceEnvMap, type ServiceConfig } from '@sipmesh/runtime';
import { edgeConfigSchema, edgeEnvMap, type EdgeConfig } from './edge-config.js';

export const EDGE_ADMIN_PORT = 9060;

export const edgeServiceConfigSchema = {
  ...edgeConfigSchema,
  properties: { ...edgeConfigSchema.properties, ...serviceConfigSections({ adminPort: EDGE_ADMIN_PORT }) },
} as const;

export type EdgeServiceConfig = EdgeConfig & ServiceConfig;

export const edgeServiceEnvMap = { ...serviceEnvMap, ...edgeEnvMap } as const;

/**
 * Kamailio-style listen strings: `udp:127.0.0.1:5060,tcp:127.0.0.1:5060`, optionally followed by
 * ` advertise host:port` per entry (`udp:10.0.0.1:5060 advertise sip.example.com:5060`).
 */
export function parseListenList(s: string): { transport: 'udp' | 'tcp'; ip: string; port: number; advertise?: string }[] {
  return s
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [socket = '', keyword, advertise] = entry.split(/\s+/);
      const first = socket.indexOf(':');
      const last = socket.lastIndexOf(':');
      const transport = socket.slice(0, first);
      const ip = socket.slice(first + 1, last).replace(/^\[|\]$/g, '');
      const port = Number(socket.slice(last + 1));
      if ((transport !== 'udp' && transport !== 'tcp') || ip === '' || !Number.isInteger(port)) throw new Error(`listen "${entry}": expected udp|tcp:ip:port`);
      if (keyword !== undefined && (keyword !== 'advertise' || advertise === undefined)) throw new Error(`listen "${entry}": expected "advertise host[:port]" after the socket`);
      return advertise === undefined ? { transport, ip, port } : { transport, ip, port, advertise };
    });
}
