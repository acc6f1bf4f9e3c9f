import { defineConfig } from 'vitest/config';

// Unit tests import workspace packages from their TypeScript sources (the `sipmesh-source`
// export condition), so they run without a build. End-to-end tests under test/ start the
// built services (`npm test` builds first).
export default defineConfig({
  resolve: { conditions: ['sipmesh-source'] },
  ssr: { resolve: { conditions: ['sipmesh-source'], externalConditions: ['sipmesh-source'] } },
  test: {
    include: ['contracts/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // End-to-end suites bind fixed SIP ports; they must not run at the same time.
    fileParallelism: false,
  },
});
