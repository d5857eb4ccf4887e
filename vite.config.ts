/**
 * One config, three builds (pick with --mode):
 *   components (default): the lit elements as ES modules in dist/components (+ a one-file bundle)
 *   extension:            the MV3 extension from manifest.json in dist/extension (@crxjs/vite-plugin)
 *   server:               the gateway for Node in dist/server
 */
import { crx, type ManifestV3Export } from '@crxjs/vite-plugin';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig, type Plugin, type UserConfig } from 'vite';

const root = import.meta.dirname;
const manifest = JSON.parse(readFileSync(resolve(root, 'manifest.json'), 'utf8')) as ManifestV3Export;

/** Each element is its own entry (dist/components/<name>.js); elements that do not exist yet are skipped. */
const componentEntries: Record<string, string> = Object.fromEntries(
  ['tier-assist', 'tier-triage', 'tier-savings']
    .map((name) => [name, resolve(root, `components/${name}/${name}.ts`)] as const)
    .filter(([, file]) => existsSync(file)),
);

/**
 * <tier-assist>'s first load validates attributes with zod/mini. Give that import graph its own copy
 * of zod's modules (a `?first-load` query makes them distinct modules), so the lazily loaded code's
 * classic zod does not drag its shared core into the first load (keeps it under the 25 KB gz budget).
 */
function firstLoadZodMini(): Plugin {
  const mark = '?first-load';
  const firstLoadDirs = [resolve(root, 'components/tier-assist'), resolve(root, 'components/shared')];
  return {
    name: 'tier-first-load-zod-mini',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!importer) return null;
      const fromFirstLoad =
        (source === 'zod/mini' && firstLoadDirs.some((dir) => importer.startsWith(dir))) ||
        (importer.endsWith(mark) && importer.includes('/node_modules/zod/'));
      if (!fromFirstLoad) return null;
      const resolved = await this.resolve(source, importer.replace(mark, ''), { ...options, skipSelf: true });
      if (!resolved || resolved.external || !resolved.id.includes('/node_modules/zod/')) return resolved;
      return { ...resolved, id: resolved.id + mark };
    },
    load(id) {
      return id.endsWith(mark) ? readFileSync(id.slice(0, -mark.length), 'utf8') : null;
    },
  };
}

/** `vite` / `vite preview` serve pages cross-origin isolated like the gateway: threads (docs/isolation.md). */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

function components(): UserConfig {
  return {
    publicDir: false,
    server: { headers: ISOLATION_HEADERS },
    preview: { headers: ISOLATION_HEADERS },
    // Assets (wllama.wasm) resolve relative to the module (import.meta.url), not the site root: the
    // components are served under /components/ or any path a site copies them to.
    base: './',
    plugins: [firstLoadZodMini()],
    build: {
      outDir: 'dist/components',
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      lib: { entry: componentEntries, formats: ['es'] },
      rollupOptions: {
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', minify: true },
      },
    },
  };
}

/**
 * `--mode bundle`: <tier-assist> as ONE self-contained module (dist/components/tier-assist.bundle.js,
 * dynamic imports inlined) for sites that copy a single file and use one script tag. Heavier up front
 * than the split build; the split build is what `npm run size` measures.
 */
/**
 * The one-file bundle keeps web-llm out (an import map adds it), but inlining webllm.ts turns its
 * `import {...} from '@mlc-ai/web-llm'` into a static import at the top of the file, so a page without
 * the import map failed to load the bundle at all. This routes webllm.ts's import through a module that
 * loads web-llm with a dynamic import when the WebGPU engine is first created: without an import map
 * that rejects, and the element falls back to the WebAssembly engine (local-provider.ts).
 */
function lazyExternalWebllm(): Plugin {
  const shim = '\0tier-webllm-on-demand';
  return {
    name: 'tier-lazy-external-webllm',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source !== '@mlc-ai/web-llm') return null;
      return importer === shim ? { id: source, external: true } : shim;
    },
    load(id) {
      if (id !== shim) return null;
      return [
        "const webllm = await import('@mlc-ai/web-llm');",
        'export const { WebWorkerMLCEngine, deleteModelAllInfoInCache, hasModelInCache } = webllm;',
      ].join('\n');
    },
  };
}

function componentBundle(): UserConfig {
  return {
    publicDir: false,
    base: './',
    plugins: [lazyExternalWebllm()],
    build: {
      outDir: 'dist/components',
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: false,
      lib: {
        entry: { 'tier-assist.bundle': resolve(root, 'components/tier-assist/tier-assist.ts') },
        formats: ['es'],
      },
      rollupOptions: {
        // web-llm (2.1 MB gz) stays out of the one file (lazyExternalWebllm): WebGPU pages map it with an
        // import map (docs/components/tier-assist.md); without one the wasm engine still runs.
        output: { entryFileNames: '[name].js', codeSplitting: false, minify: true },
      },
    },
  };
}

/**
 * Chrome Web Store policy forbids remotely hosted code, and WebLLM's model libraries (*.wasm) are code:
 * a store build bundles them. `TIER_ASSIST_WEBLLM_LIBS=<dir>` copies every *.wasm in <dir> to
 * dist/extension/webllm-libs/, and the extension's catalog then loads those libraries from the package
 * (extension/shared/models.ts, `__WEBLLM_BUNDLED_LIBS__`); models whose library is not bundled keep their URL.
 */
function webllmLibs(): { names: string[]; plugin: Plugin } {
  const dir = process.env.TIER_ASSIST_WEBLLM_LIBS;
  const names = dir ? readdirSync(dir).filter((name) => name.endsWith('.wasm')) : [];
  return {
    names,
    plugin: {
      name: 'tier-assist-webllm-libs',
      generateBundle() {
        for (const name of names) {
          this.emitFile({
            type: 'asset',
            fileName: `webllm-libs/${name}`,
            source: readFileSync(join(dir!, name)),
          });
        }
      },
    },
  };
}

function extension(): UserConfig {
  const libs = webllmLibs();
  return {
    publicDir: false,
    plugins: [crx({ manifest }), libs.plugin],
    define: { __WEBLLM_BUNDLED_LIBS__: JSON.stringify(libs.names) },
    build: {
      outDir: 'dist/extension',
      emptyOutDir: true,
      target: 'es2022',
      // web-llm (~5.9 MB, 2.1 MB gz) is its own chunk, loaded by the offscreen document only when a
      // WebGPU model is chosen; the warning would flag that on every build.
      chunkSizeWarningLimit: 7000,
      rollupOptions: {
        input: {
          popup: resolve(root, 'extension/popup/index.html'),
          options: resolve(root, 'extension/options/index.html'),
          sidepanel: resolve(root, 'extension/sidepanel/index.html'),
          offscreen: resolve(root, 'extension/offscreen/index.html'),
        },
      },
    },
  };
}

/**
 * `--mode extension-firefox`: the same extension for Firefox in dist/extension-firefox (issue 18,
 * docs/extension.md). Firefox MV3 has no offscreen documents and no service-worker background: the
 * background is an event page (a DOM) that also hosts the engine (extension/background/event-page.html),
 * the side panel is a sidebar_action, and the add-on needs a gecko id. Popup, options, content script,
 * commands and menus are the Chrome build's.
 */
export const GECKO_ID = 'tier-assist@tier-assist.dev';

function firefoxManifest(chrome: ManifestV3Export): ManifestV3Export {
  const source = chrome as unknown as Record<string, unknown> & {
    permissions?: string[];
    side_panel?: { default_path: string };
    content_scripts?: Record<string, unknown>[];
  };
  const {
    key: _key,
    minimum_chrome_version: _minimum,
    side_panel,
    background: _background,
    cross_origin_embedder_policy: _coep,
    cross_origin_opener_policy: _coop,
    ...rest
  } = source;
  return {
    ...rest,
    browser_specific_settings: { gecko: { id: GECKO_ID, strict_min_version: '128.0' } },
    background: { page: 'extension/background/event-page.html' },
    ...(side_panel && {
      sidebar_action: {
        default_panel: side_panel.default_path,
        default_title: 'tier-assist',
        open_at_install: false,
      },
    }),
    permissions: (source.permissions ?? []).filter((p) => p !== 'sidePanel' && p !== 'offscreen'),
    content_scripts: (source.content_scripts ?? []).map(
      ({ match_origin_as_fallback: _fallback, ...script }) => script,
    ),
  } as unknown as ManifestV3Export;
}

/**
 * Firefox always enforces a base CSP on extension pages (`script-src 'self' 'wasm-unsafe-eval' ...`, no
 * `blob:`), and wllama starts its Worker from a blob: URL of code it assembles at run time, so the
 * engine never starts there. The code is the package's own, fixed for the pinned version except the
 * run options: this writes it as a file of the add-on (`wllama-worker.js`), which the event page's
 * Worker shim starts instead and hands the options to (extension/background/wllama-worker-shim.ts).
 */
export const WLLAMA_WORKER_FILE = 'wllama-worker.js';

function wllamaWorkerFile(): Plugin {
  return {
    name: 'tier-assist-wllama-worker-file',
    generateBundle() {
      const source = readFileSync(resolve(root, 'node_modules/@wllama/wllama/esm/index.js'), 'utf8');
      const constant = (name: string, end: string): string => {
        const start = source.indexOf(`var ${name} = `);
        if (start < 0)
          throw new Error(`@wllama/wllama changed: ${name} not found; update ${WLLAMA_WORKER_FILE}.`);
        const declaration = source.slice(start, source.indexOf(end, start) + end.length);
        return new Function(`${declaration}\nreturn ${name};`)() as string;
      };
      const noWebGPU =
        'try{Object.defineProperty(WorkerNavigator.prototype,"gpu",{get:()=>({requestAdapter:async()=>null})});}catch(e){}';
      const moduleCode = noWebGPU + constant('JSPI_STUB', '`;') + constant('WLLAMA_EMSCRIPTEN_CODE', "';\n");
      const code = [
        'let RUN_OPTIONS;',
        `function wModuleInit() { ${moduleCode.replace('var Module', 'var ___Module')}; return Module; }`,
        constant('LLAMA_CPP_WORKER_CODE', '";\n'),
        'const wllamaOnMessage = onmessage;',
        'onmessage = (e) => { if (e.data && e.data.tierRunOptions) RUN_OPTIONS = e.data.tierRunOptions; else return wllamaOnMessage(e); };',
      ].join(';\n\n');
      this.emitFile({ type: 'asset', fileName: WLLAMA_WORKER_FILE, source: code });
    },
  };
}

function extensionFirefox(): UserConfig {
  const chromeBuild = extension();
  return {
    ...chromeBuild,
    plugins: [crx({ manifest: firefoxManifest(manifest) }), webllmLibs().plugin, wllamaWorkerFile()],
    build: {
      ...chromeBuild.build,
      outDir: 'dist/extension-firefox',
      rollupOptions: {
        input: {
          popup: resolve(root, 'extension/popup/index.html'),
          options: resolve(root, 'extension/options/index.html'),
          sidepanel: resolve(root, 'extension/sidepanel/index.html'),
          background: resolve(root, 'extension/background/event-page.html'),
        },
      },
    },
  };
}

function server(): UserConfig {
  return {
    publicDir: false,
    build: {
      outDir: 'dist/server',
      emptyOutDir: true,
      target: 'node20',
      ssr: resolve(root, 'src/server/cli.ts'),
      rollupOptions: { output: { entryFileNames: 'cli.js' } },
    },
  };
}

/**
 * `--mode package` / `package-bundle` / `package-gateway`: the npm packages' builds, into
 * packages/<name>/dist (scripts/pack-packages.ts runs them; ADR 0005). The elements' package keeps lit,
 * idb and web-llm external (declared dependencies: their types are in our .d.ts, and a host shares one
 * copy; web-llm stays a lazy chunk of the host's build); everything else is bundled as in dist/components,
 * so the first-load zod split and wllama's wasm (`new URL(..., import.meta.url)`) behave as measured.
 * No source maps: they would double the tarball.
 */
const PACKAGE_EXTERNAL = /^(lit|lit-html|lit-element|@lit\/reactive-element|idb|@mlc-ai\/web-llm)(\/|$)/;
const elementsPackageDir = resolve(root, 'packages/tier-assist/dist');

function packageElements(): UserConfig {
  const base = components();
  return {
    ...base,
    build: {
      ...base.build,
      outDir: elementsPackageDir,
      sourcemap: false,
      lib: { entry: { index: resolve(root, 'components/index.ts'), ...componentEntries }, formats: ['es'] },
      rollupOptions: {
        external: (id) => PACKAGE_EXTERNAL.test(id),
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', minify: true },
      },
    },
  };
}

function packageBundle(): UserConfig {
  const base = componentBundle();
  return { ...base, build: { ...base.build, outDir: elementsPackageDir } };
}

function packageGateway(): UserConfig {
  return {
    publicDir: false,
    build: {
      outDir: resolve(root, 'packages/tier-assist-gateway/dist'),
      emptyOutDir: true,
      target: 'node20',
      ssr: true,
      rollupOptions: {
        input: {
          index: resolve(root, 'src/server/index.ts'),
          node: resolve(root, 'src/server/node.ts'),
          cli: resolve(root, 'src/server/cli.ts'),
        },
        output: {
          entryFileNames: '[name].js',
          chunkFileNames: 'chunks/[name]-[hash].js',
          banner: (chunk) => (chunk.isEntry && chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
        },
      },
    },
  };
}

export default defineConfig(({ mode }) => {
  if (mode === 'extension') return extension();
  if (mode === 'extension-firefox') return extensionFirefox();
  if (mode === 'server') return server();
  if (mode === 'bundle') return componentBundle();
  if (mode === 'package') return packageElements();
  if (mode === 'package-bundle') return packageBundle();
  if (mode === 'package-gateway') return packageGateway();
  return components();
});
