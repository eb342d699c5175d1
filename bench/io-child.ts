// One measured library run, in its own process so that its peak RSS is its own (see bench/io.ts).
//   node io-child.js MODE INPUT [OUTPUT]
//   MODE: load | roundtrip | roundtrip-nofsync | rewrite (Relu -> ThresholdedRelu(alpha=0), the same function)
//         | lazy-rewrite | lazy-roundtrip-nofsync (the same through rewriteModelFile: large tensors copied from the file)
//         | lazytensors-roundtrip | lazytensors-roundtrip-nofsync | lazytensors-rewrite | lazytensors-load
//           (loadModelFileAsync with { lazyTensors: true } + saveModelFileAsync: large tensors read only when asked, here never)
import fs from 'node:fs';
import { loadModelFileAsync } from '../src/node/model-file.js';
import { saveModelFileAsync } from '../src/node/save-model.js';
import { rewriteModelFile } from '../src/node/rewrite-file.js';
import { onnx, AttributeType, type ModelProto } from '../src/onnx/proto.js';

const [mode, input, output] = process.argv.slice(2) as [string, string, string | undefined];

/** Peak RSS of this process image. ru_maxrss is not usable: Linux carries the parent's high-water mark across fork + exec. */
function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

const faults = () => process.resourceUsage().minorPageFault;
let replaced = 0;
const edit = (model: ModelProto) => {
  for (const n of model.graph!.node) {
    if (n.opType !== 'Relu' || n.domain) continue;
    n.opType = 'ThresholdedRelu';
    n.attribute = [onnx.AttributeProto.create({ name: 'alpha', type: AttributeType.FLOAT, f: 0 })];
    replaced++;
  }
};
const f0 = faults();
const t0 = performance.now();
let t1: number;
let t2: number;
let f1: number;
if (mode.startsWith('lazy-')) {
  // load, edit and save are one call here: the split is the edit callback's start and end
  t1 = t2 = 0;
  f1 = 0;
  const r = await rewriteModelFile(input, output!, (m) => {
    t1 = performance.now();
    f1 = faults();
    if (mode === 'lazy-rewrite') edit(m);
    t2 = performance.now();
  }, { fsync: mode !== 'lazy-roundtrip-nofsync' });
  if (!r.lazy) throw new Error('rewriteModelFile took the ordinary path');
} else {
  const lazyTensors = mode.startsWith('lazytensors-');
  const step = lazyTensors ? mode.slice('lazytensors-'.length) : mode;
  const loaded = await loadModelFileAsync(input, { lazyTensors });
  t1 = performance.now();
  f1 = faults();
  if (step === 'rewrite') edit(loaded.model);
  t2 = performance.now();
  if (step !== 'load') await saveModelFileAsync(loaded.model, output!, { source: loaded, fsync: step !== 'roundtrip-nofsync' });
}
const t3 = performance.now();
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, editMs: t2 - t1, saveMs: t3 - t2, totalMs: t3 - t0, loadFaults: f1 - f0, saveFaults: faults() - f1, replaced, maxRssBytes: peakRssBytes() }) + '\n');
