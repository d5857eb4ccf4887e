import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Flags every test launch uses (see DESIGN.md, field guide). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
] as const;

/** Adds WebGPU on SwiftShader (a real adapter on the CPU). */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu'] as const;

export const CHROMIUM_INSTALL_HINT =
  'Install it with `apt-get install -y chromium` (Debian/Ubuntu, as root), or set CHROMIUM_PATH to a Chrome/Chromium binary.';

/** The Chromium binary the tests drive: `$CHROMIUM_PATH`, else `/usr/bin/chromium`. Throws with an install hint. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`No Chromium found at ${path}. ${CHROMIUM_INSTALL_HINT}`);
  }
  return path;
}

/** A headless Chromium with the test flags (plus `extraArgs`), for suites and benches that drive pages. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, ...extraArgs],
    headless: true,
  });
}
