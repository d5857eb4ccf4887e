export { parse } from './parse.ts';
export * from './schemas.ts';
export * from './gateway.ts';
