/**
 * `npm run web`'s server: prints its URL, answers on 127.0.0.1 with the
 * cross-origin isolation headers on every file (the page, the app, ORT's
 * wasm), serves the sample list, and never a file outside its roots.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';

function get(url: string, rawPath?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    // A raw path keeps '..' (fetch and URL would normalize it away).
    const req = http.get({ host: u.hostname, port: u.port, path: rawPath ?? u.pathname }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

test('npm run web: prints the URL, isolation headers on every file, samples listed, no escape from its roots', async () => {
  const child = spawn(process.execPath, ['scripts/serve-web.mjs', '--no-build', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    for (const p of ['/', '/style.css', '/ort/ort-wasm-simd-threaded.jsep.mjs', '/models/mlp.onnx']) {
      const r = await get(url + p.slice(1));
      assert.equal(r.status, 200, p);
      assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin', p);
      assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp', p);
    }
    assert.equal((await get(url + 'ort/ort-wasm-simd-threaded.jsep.wasm')).headers['content-type'], 'application/wasm');
    const samples = JSON.parse((await get(url + 'models/index.json')).body.toString()) as { name: string }[];
    assert.ok(samples.some((s) => s.name === 'mlp.onnx'));
    for (const p of ['/../package.json', '/models/../package.json', '/ort/../../../package.json', '/%2e%2e/package.json', '/models/%2e%2e%2fpackage.json', '/nope.html']) {
      const r = await get(url, p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body.toString(), /"name": "onnx-trelu"/, p);
    }
  } finally {
    child.kill();
  }
});

test('npm run web --port with a bad value exits 2 with a hint', async () => {
  const child = spawn(process.execPath, ['scripts/serve-web.mjs', '--no-build', '--port', 'x'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /--port must be an integer.*\n\s+hint:/);
});
