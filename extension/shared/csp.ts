/**
 * Extension pages run under `script-src 'self' 'wasm-unsafe-eval'`. Zod 4 probes `new Function` to
 * decide whether to compile parsers; under this CSP the probe is refused and Chrome records a CSP
 * violation even though zod catches it. `jitless` skips the probe (parsing works the same, without
 * generated code). Imported first by the channel, which every entry point uses.
 */
import { z } from 'zod';

z.config({ jitless: true });
