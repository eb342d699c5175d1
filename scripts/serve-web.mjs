// `npm run web`: builds the web app (scripts/build-web.mjs) and serves it on 127.0.0.1.
//   node scripts/serve-web.mjs [--port N] [--no-build]
// Port 0 (the default) takes a free port; the URL is printed. Every response carries
// Cross-Origin-Opener-Policy/Embedder-Policy, which make the page cross-origin isolated
// (SharedArrayBuffer, so onnxruntime-web's wasm can use threads).
//   /            web/index.html, web/style.css, web/dist/app.mjs
//   /ort/        onnxruntime-web's dist/ (its .mjs and .wasm files)
//   /models/     the sample models (models/*.onnx; /models/index.json lists them)
//   /lib/        the onnx-trelu/web bundle (dist/web/onnx-trelu.web.mjs), for pages that import it directly
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8', '.gz': 'application/gzip',
};

/** Static roots by URL prefix; a request never leaves its root (no '..', no symlink escape). */
function mounts() {
  return [
    // The package exports no ./package.json; its CommonJS entry is dist/ort.min.js, beside the .wasm files.
    ['/ort/', path.dirname(require.resolve('onnxruntime-web'))],
    ['/models/', path.join(root, 'models')],
    ['/dist/', path.join(root, 'web/dist')],
    ['/lib/', path.join(root, 'dist/web')],
    ['/', path.join(root, 'web')],
  ];
}

function resolveFile(urlPath) {
  for (const [prefix, dir] of mounts()) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = decodeURIComponent(urlPath.slice(prefix.length)) || 'index.html';
    const file = path.resolve(dir, rel);
    if (file !== dir && !file.startsWith(dir + path.sep)) return undefined;
    try {
      const real = fs.realpathSync(file);
      const realDir = fs.realpathSync(dir);
      if (!real.startsWith(realDir + path.sep) || !fs.statSync(real).isFile()) return undefined;
      return real;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function sampleIndex() {
  const dir = path.join(root, 'models');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort().map((f) => ({ name: f, url: `/models/${f}`, bytes: fs.statSync(path.join(dir, f)).size }));
}

export function startWebServer({ port = 0, host = '127.0.0.1' } = {}) {
  const server = http.createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
    };
    const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
      return;
    }
    if (urlPath === '/models/index.json') {
      res.writeHead(200, { ...headers, 'Content-Type': TYPES['.json'] }).end(JSON.stringify(sampleIndex()));
      return;
    }
    const file = resolveFile(urlPath);
    if (!file) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${urlPath}\n`);
      return;
    }
    const size = fs.statSync(file).size;
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': size });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({ url: `http://${host}:${actual}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--port');
  const portArg = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--port='))?.slice(7);
  const port = portArg === undefined ? 0 : Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve-web: --port must be an integer in [0, 65535], got '${portArg}'\n  hint: --port 8080, or leave it out for a free port`);
    process.exit(2);
  }
  if (!args.includes('--no-build')) {
    const { buildWeb } = await import('./build-web.mjs');
    try {
      const r = await buildWeb();
      console.error(`built ${r.app.file} (${(r.app.gzip / 1024).toFixed(1)} KiB gzip) and ${r.library.file} (${(r.library.gzip / 1024).toFixed(1)} KiB gzip)`);
    } catch (e) {
      for (const err of e.errors ?? [{ text: e.message }]) console.error(`build-web: ${err.text}`);
      process.exit(1);
    }
  }
  try {
    const { url } = await startWebServer({ port });
    console.log(`onnx-trelu web app: ${url}  (Ctrl-C to stop)`);
  } catch (e) {
    console.error(`serve-web: cannot listen on 127.0.0.1:${port}: ${e.code ?? e.message}\n  hint: ${e.code === 'EADDRINUSE' ? 'that port is taken; pick another or leave --port out' : 'check the port'}`);
    process.exit(2);
  }
}
