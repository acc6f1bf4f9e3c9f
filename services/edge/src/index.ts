export { createEdgeApp } from './app.js';
export type { EdgeApp, EdgeAppOptions } from './app.js';
export { edgeServiceConfigSchema, edgeServiceEnvMap, parseListenList, EDGE_ADMIN_PORT } from './config/edge-service-config.js';
export type { EdgeServiceConfig } from './config/edge-service-config.js';
export { edgeConfigSchema } from './config/edge-config.js';
export type { EdgeConfig, ListenerConfig } from './config/edge-config.js';
export type { Listener, TransportAddress, TransportProtocol } from './transport/transport.js';
export { parseMessage, SipRequest, SipResponse, parseUri, parseNameAddr, parseVia, buildRequest, buildResponse } from './parser/index.js';
export type { SipMessage, SipUri, NameAddr, Via } from './parser/index.js';
