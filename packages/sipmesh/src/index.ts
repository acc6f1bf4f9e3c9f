export { startEmbedded } from './embedded.js';
export type { EmbeddedOptions, EmbeddedSipmesh } from './embedded.js';
export { runConformance } from './conformance.js';
export type { ConformanceCheck, ConformanceOptions } from './conformance.js';
