/**
 * The gateway client: `gatewayClient({gateway, token | tokenEndpoint, surface})` (one client per
 * gateway and credentials) streams text deltas from `chat({tier, messages}, {signal})` and settles
 * `result` with `{text, usage, meta}`; errors are typed (src/errors.ts). The stream is the engines'
 * `TextStream` (src/engines/stream.ts), so local and remote output are read the same way.
 */
export { GatewayClient, errorFromBody } from './client.ts';
export type { GatewayClientOptions, RemoteChatRequest, RemoteResult } from './client.ts';
export { gatewayClient, gatewayUrl, type GatewayClientSpec } from './factory.ts';
