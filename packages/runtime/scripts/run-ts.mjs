// Runs a TypeScript entry file from the sources, without a build, through Vite's module
// runner (the same resolution as the unit tests: the `sipmesh-source` export condition).
// Used by scripts and by tests that need a second process.
//
//   node packages/runtime/scripts/run-ts.mjs <entry.ts> [args...]
//
// The entry's exports are ignored; it runs at import. The process exits when the entry's
// work is done and nothing keeps the event loop alive.
import { resolve } from 'node:path';
import { createServer, createServerModuleRunner } from 'vite';

const entry = process.argv[2];
if (entry === undefined) {
  console.error('usage: run-ts.mjs <entry.ts> [args...]');
  process.exit(2);
}
const conditions = ['sipmesh-source'];
const server = await createServer({
  configFile: false,
  logLevel: 'error',
  appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false, watch: null },
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  optimizeDeps: { noDiscovery: true, include: [] },
});
const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
// The server stays up while the entry runs (it may import lazily); it holds no handles
// that keep the process alive.
await runner.import(resolve(entry));
