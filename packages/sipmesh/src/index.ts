export { startEmbedded } from './embedded.js';
export type { EmbeddedOptions, EmbeddedSipmesh } from './embedded.js';
