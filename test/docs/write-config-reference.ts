import { writeFileSync } from 'node:fs';
import { renderConfigurationDoc } from './render-config-reference.js';

writeFileSync(new URL('../../docs/configuration.md', import.meta.url), renderConfigurationDoc());
