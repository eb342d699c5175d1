// npm run setup:cuda — runs onnxruntime-node's own installer for its CUDA 12 EP
// binaries. They are downloaded from the internet; where the network does not
// allow it, this fails with a clear message (exit 1).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { existsSync } from 'node:fs';

const require = createRequire(import.meta.url);
let script;
try {
  script = path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'script', 'install.js');
} catch {
  console.error('setup:cuda: onnxruntime-node is not installed; run npm install first');
  process.exit(1);
}
// The bare flag forces the platform's default downloads (CUDA 12 on Linux x64). `=cuda12` would be
// the explicit form, but ORT 1.30's parseInstallFlag returns undefined for any string value, and
// under npm run the installer then exits 0 without doing anything.
console.log('setup:cuda: downloading ONNX Runtime\'s CUDA 12 EP binaries (onnxruntime-node/script/install.js --onnxruntime-node-install)');
// npm run setup (scripts/setup.mjs) and .ci/run say "skip" so that installing never tries this
// download; that setting reaches the installer through the environment, so drop it here.
const env = { ...process.env };
for (const k of Object.keys(env)) if (/^(npm_config_onnxruntime_node_install|ONNXRUNTIME_NODE_INSTALL)/i.test(k)) delete env[k];
const r = spawnSync(process.execPath, [script, '--onnxruntime-node-install'], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8', timeout: 10 * 60_000, env });
const lib = path.join(path.dirname(script), '..', 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
if (r.status === 0 && existsSync(lib)) {
  console.log('setup:cuda: done. The CUDA EP also needs CUDA 12, cuBLAS, cuFFT and cuDNN 9 from NVIDIA; check with: npx trelu doctor');
  process.exit(0);
}
const reason = r.status === 0 ? `the installer finished but ${lib} is missing` : (r.stderr || '').split('\n').find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|fetch failed|getaddrinfo/i.test(l)) ?? (r.error ? String(r.error) : `exit code ${r.status}`);
console.error(`setup:cuda: failed: ${reason.trim()}`);
console.error('  hint: the binaries come from a public download host; this machine cannot reach it. On a machine with network access and an NVIDIA GPU, run npm run setup:cuda there.');
process.exit(1);
