/**
 * The browser bundle: `onnx-trelu/web` builds with esbuild for the browser
 * platform with no Node built-in reached, and the check really fails when one
 * is (an entry that pulls in the onnxruntime-node backend).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tmpDir } from '../helpers.js';

interface BuildScript {
  root: string;
  bundle(entry: string, outfile: string, opts?: { minify?: boolean }): Promise<{ outfile: string; metafile: { inputs: Record<string, unknown> } }>;
}

const script = (): Promise<BuildScript> => import(pathToFileURL(path.resolve('scripts/build-web.mjs')).href) as Promise<BuildScript>;

test('the onnx-trelu/web bundle has no Node built-in and none of the Node-only modules', async () => {
  const { root, bundle } = await script();
  const out = path.join(tmpDir(), 'web.mjs');
  const { metafile } = await bundle(path.join(root, 'src/web/index.ts'), out);
  const inputs = Object.keys(metafile.inputs);
  assert.ok(inputs.some((f) => f.endsWith('src/runtime/backends/ort-web.ts')), 'the onnxruntime-web backend is in');
  assert.ok(inputs.some((f) => f.endsWith('src/rewrite/replace.ts')) && inputs.some((f) => f.endsWith('src/train/autodiff.ts')) && inputs.some((f) => f.endsWith('src/validate/validate.ts')));
  const nodeOnly = inputs.filter((f) => /src\/(node|cli)\/|ort-node|run-once|kernel-api|runtime\/inputs/.test(f));
  assert.deepEqual(nodeOnly, []);
  const text = fs.readFileSync(out, 'utf8');
  // onnxruntime-web stays a bare import, resolved by the page's import map or the user's bundler.
  assert.match(text, /from\s*"onnxruntime-web"|import\("onnxruntime-web"\)/);
  assert.doesNotMatch(text, /["']node:/);
});

test('the build check fails, naming the importer, when a Node built-in is reached', async () => {
  const { root, bundle } = await script();
  const dir = tmpDir();
  const entry = path.join(dir, 'entry.ts');
  fs.writeFileSync(entry, `export { OrtNodeBackend } from ${JSON.stringify(path.join(root, 'src/runtime/backends/ort-node.ts'))};\n`);
  await assert.rejects(bundle(entry, path.join(dir, 'out.mjs'), { minify: false }), (e: { errors?: { text: string }[] }) => {
    const texts = (e.errors ?? []).map((x) => x.text).join('\n');
    assert.match(texts, /Node built-in 'node:fs' imported by src\/runtime\/backends\/ort-node\.ts/);
    return true;
  });
  assert.equal(fs.existsSync(path.join(dir, 'out.mjs')), false);
});
