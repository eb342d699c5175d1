// A worker thread of the SIMD pool (simd-workers.ts): runs kernel slices on the shared arena memory it was given.
import { parentPort, workerData } from 'node:worker_threads';
import { instantiateSimd } from '../ops/thresholded-relu/simd-module.js';
import { runSlice, type SimdSlice } from '../ops/thresholded-relu/simd.js';

const { mem, maxPages } = workerData as { mem: WebAssembly.Memory; maxPages: number };
const kernel = instantiateSimd(mem, true, maxPages);
if (!kernel) throw new Error('WebAssembly SIMD with shared memory is not available in this worker');
parentPort!.on('message', (s: SimdSlice & { id: number }) => {
  runSlice(kernel, new Float32Array(mem.buffer), s);
  parentPort!.postMessage(s.id);
});
