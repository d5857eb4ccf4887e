/**
 * The gateway client: `new GatewayClient({url, token | tokenEndpoint}).chat({tier, messages}, {signal})`
 * streams text deltas and settles `result` with `{text, usage, meta}`; errors are typed (src/errors.ts).
 */
export { GatewayClient, errorFromBody } from './client.ts';
export type { GatewayClientOptions, RemoteChatRequest, RemoteResult } from './client.ts';
export { createChannel } from './channel.ts';
export type { Channel, TextStream } from './channel.ts';
