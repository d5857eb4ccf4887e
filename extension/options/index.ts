import { request } from '../messaging.ts';

const app = document.getElementById('app')!;
request('ping', {})
  .then((pong) => {
    app.textContent = `tier-assist ${pong.version}: background running since ${new Date(pong.startedAt).toLocaleTimeString()}.`;
  })
  .catch((error: unknown) => {
    app.textContent = `The background did not answer: ${error instanceof Error ? error.message : String(error)}`;
  });
