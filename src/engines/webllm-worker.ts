/**
 * The dedicated Web Worker that runs web-llm off the main thread for pages
 * (`new Worker(new URL('./webllm-worker.ts', import.meta.url), { type: 'module' })` in webllm.ts).
 */
import { WebWorkerMLCEngineHandler } from '@mlc-ai/web-llm';

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (event: MessageEvent) => handler.onmessage(event);
