/**
 * The configuration reference (docs/configuration.md), rendered from the same schemas the services
 * validate their config with. `npm run docs` writes it; the test beside this file fails when the
 * committed file is stale.
 */
import { accountingConfigSchema, accountingEnvMap } from '@sipmesh/accounting';
import { edgeServiceConfigSchema, edgeServiceEnvMap } from '@sipmesh/edge';
import { mediaConfigSchema, mediaEnvMap } from '@sipmesh/media-control';
import { registrarConfigSchema, registrarEnvMap } from '@sipmesh/registrar';
import { routerConfigSchema, routerEnvMap } from '@sipmesh/router';
import { renderConfigReference, type ConfigSchema } from '@sipmesh/runtime';

export function renderConfigurationDoc(): string {
  const edge = renderConfigReference(edgeServiceConfigSchema as unknown as ConfigSchema, { envMap: { ...edgeServiceEnvMap, SIPMESH_LISTEN: 'listen' } });
  const router = renderConfigReference(routerConfigSchema as unknown as ConfigSchema, { envMap: routerEnvMap });
  const registrar = renderConfigReference(registrarConfigSchema as unknown as ConfigSchema, { envMap: registrarEnvMap });
  const accounting = renderConfigReference(accountingConfigSchema as unknown as ConfigSchema, { envMap: accountingEnvMap });
  const media = renderConfigReference(mediaConfigSchema as unknown as ConfigSchema, { envMap: mediaEnvMap });
  return `# Configuration reference

<!-- Generated from the config schemas by \`npm run docs\`; do not edit by hand. -->

Every service reads, in increasing precedence: schema defaults, a config file (\`--config file.yaml\`
or \`.json\`), environment variables, and \`--set path=value\` on the command line. The embedded
launcher (\`npm start\`, \`sipmesh\`) takes \`--edge-config\`, \`--router-config\`, \`--registrar-config\`,
\`--set edge.<path>=…\`, \`--set router.<path>=…\` and \`--set registrar.<path>=…\`. A config with a wrong value stops the service at start with every
problem listed. Settings marked reloadable can change while running; the others need a restart.

Shortcuts: \`--listen udp:IP:PORT,tcp:IP:PORT\` (Kamailio-style \`listen\`; add \` advertise host:port\` to an
entry), \`--nats URL\` (distributed mode), \`--routes FILE\` (router), \`--id\`, \`--policy\` (edge).

## Edge (\`services/edge\`, also the embedded process)

${edge}
## Router (\`services/router\`)

${router}
## Registrar (\`services/registrar\`)

${registrar}
## Accounting (\`services/accounting\`, NATS mode only)

${accounting}
## Media control (\`services/media-control\`, NATS mode only)

Its own process: \`node services/media-control/dist/main.js [--config media.yaml] [--nats URL] [--id media1] [--rtpengine "udp:IP:PORT[=WEIGHT] ..."]\`
(\`--rtpengine\` sets \`rtpengine.sock\`); the config file may also come from \`SIPMESH_MEDIA_CONFIG\`. See docs/media.md.

${media}`;
}
