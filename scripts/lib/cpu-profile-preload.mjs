// Preloaded into the gateway by `npm run bench:gateway -- --profile DIR` (NODE_OPTIONS=--import=this file;
// Node 20 refuses --cpu-prof in NODE_OPTIONS): samples the process with node:inspector's Profiler from
// start to exit and writes DIR/gateway-<pid>.cpuprofile (one per process of a clustered gateway).
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.TIER_ASSIST_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.once('exit', () => {
    // Same-thread inspector sessions answer synchronously, so this runs before the process is gone.
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `gateway-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
