// Builds the browser bundles with esbuild:
//   dist/web/onnx-trelu.web.mjs  the library (`onnx-trelu/web`), onnxruntime-web left as a bare import
//   web/dist/app.mjs             the web app (web/src/main.ts), the same way
// and fails if a Node built-in (fs, node:path, ...) is imported by anything the bundle reaches.
//
//   node scripts/build-web.mjs [--sizes] [--json]
//   --sizes  also gzip onnxruntime-web's own files (its .mjs and the 28 MB .wasm) to report them beside ours
import { builtinModules } from 'node:module';
import { readFileSync, statSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** An esbuild plugin that turns every import of a Node built-in into a build error naming the importer. */
export function noNodeBuiltins() {
  return {
    name: 'no-node-builtins',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.split('/')[0];
        if (!BUILTINS.has(args.path) && !BUILTINS.has(bare) && !args.path.startsWith('node:')) return undefined;
        const from = path.relative(root, args.importer) || args.importer;
        return { errors: [{ text: `Node built-in '${args.path}' imported by ${from}: the browser bundle must not reach Node built-ins (keep them in src/node, src/cli or ort-node*)` }] };
      });
    },
  };
}

/** One browser bundle: ESM, minified, onnxruntime-web external. Returns the output path and its metafile. */
export async function bundle(entry, outfile, { minify = true } = {}) {
  mkdirSync(path.dirname(outfile), { recursive: true });
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify,
    sourcemap: true,
    metafile: true,
    external: ['onnxruntime-web', 'onnxruntime-web/*'],
    plugins: [noNodeBuiltins()],
    logLevel: 'silent',
  });
  return { outfile, metafile: result.metafile };
}

const gzipBytes = (file) => gzipSync(readFileSync(file), { level: 9 }).length;

export async function buildWeb({ sizes = false } = {}) {
  const lib = await bundle(path.join(root, 'src/web/index.ts'), path.join(root, 'dist/web/onnx-trelu.web.mjs'));
  const app = await bundle(path.join(root, 'web/src/main.ts'), path.join(root, 'web/dist/app.mjs'));
  const report = {
    library: { file: path.relative(root, lib.outfile), bytes: statSync(lib.outfile).size, gzip: gzipBytes(lib.outfile), inputs: Object.keys(lib.metafile.inputs).length },
    app: { file: path.relative(root, app.outfile), bytes: statSync(app.outfile).size, gzip: gzipBytes(app.outfile) },
  };
  if (sizes) {
    const dist = path.join(root, 'node_modules/onnxruntime-web/dist');
    report.onnxruntimeWeb = ['ort.bundle.min.mjs', 'ort-wasm-simd-threaded.jsep.wasm'].map((f) => ({ file: f, bytes: statSync(path.join(dist, f)).size, gzip: gzipBytes(path.join(dist, f)) }));
  }
  return report;
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const report = await buildWeb({ sizes: process.argv.includes('--sizes') });
    if (process.argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(`${report.library.file}: ${kib(report.library.bytes)} (${kib(report.library.gzip)} gzip), ${report.library.inputs} modules, no Node built-ins`);
      console.log(`${report.app.file}: ${kib(report.app.bytes)} (${kib(report.app.gzip)} gzip)`);
      for (const o of report.onnxruntimeWeb ?? []) console.log(`onnxruntime-web ${o.file}: ${kib(o.bytes)} (${kib(o.gzip)} gzip)`);
    }
  } catch (e) {
    for (const err of e.errors ?? [{ text: e.message }]) console.error(`build-web: ${err.text}${err.location ? ` (${err.location.file}:${err.location.line})` : ''}`);
    process.exit(1);
  }
}
