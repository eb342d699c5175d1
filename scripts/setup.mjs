// `npm run setup`: npm install without onnxruntime-node's CUDA download, then the build.
// onnxruntime-node's install script fetches CUDA EP binaries on Linux x64 unless
// ONNXRUNTIME_NODE_INSTALL=skip is set; an .npmrc line would do the same, but npm 11 warns
// "Unknown project config" on every npm/npx call for it. `npm run setup:cuda` gets them later.
import { spawnSync } from 'node:child_process';

const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL ?? 'skip' };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
for (const args of [['install'], ['run', 'build']]) {
  const r = spawnSync(npm, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
