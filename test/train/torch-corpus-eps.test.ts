// resnet18 of the torch corpus (11.2 M parameters, batch 2×3×32×32, F.cross_entropy in the graph)
// on the two emulated EPs that torch-corpus.test.ts leaves out for it: its gradient model on
// onnxruntime-web's wasm and onnxruntime-node's webgpu (SwiftShader, Vulkan on the CPU), every
// parameter's gradient against torch autograd's (relative error as in torch-reference.ts,
// tolerance 1e-4, NaN fails) and the loss against torch's.
//
// Time (2 cores, load ~7): wasm ~6 s (session 3 s, run 3 s); webgpu ~2 min, nearly all of it the
// first run (session 0.5 s; first run 114-128 s, a second run 35-46 s: SwiftShader compiling each
// kernel's pipeline on first use, then executing it on the CPU). See README-j10n.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { buildGradient, parameterFeeds } from '../../src/train/index.js';
import { createBackends, runOnce, type TensorLike } from '../../src/runtime/index.js';
import { torchModel } from '../corpus/torch-corpus.js';
import { compareWithTorch, parameterInitializers, relError } from './torch-reference.js';

const TOLERANCE = 1e-4;
const backends = createBackends();
const m = torchModel('resnet18');
const wrt = parameterInitializers(m, 'loss.onnx');
const model = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(m.lossPath))));
const report = buildGradient(model, { loss: 'loss', wrt });
const bytes = encodeModel(modelToProto(model));
const feeds: Record<string, TensorLike> = { input: m.npy(m.manifest.input.file), labels: m.npy(m.manifest.labels.file), ...parameterFeeds(report) };

for (const ep of ['wasm', 'webgpu'] as const) {
  test(`resnet18: the gradient on ${ep} matches torch (${wrt.length} parameters, 1e-4)`, async (t) => {
    const started = performance.now();
    const out = await runOnce(backends.get(ep), bytes, feeds);
    const errs = compareWithTorch(m, 'loss.onnx', report, out);
    assert.equal(errs.length, wrt.length);
    const bad = errs.filter((e) => !(e.err < TOLERANCE));
    assert.deepEqual(bad, [], `${bad.length} of ${errs.length} gradients off on ${ep} (worst ${bad[0]?.tensor}: ${bad[0]?.err})`);
    const loss = relError(out[report.loss], m.npy(m.manifest.outputs.loss));
    assert.ok(loss < 1e-5, `loss on ${ep}: relative error ${loss}`);
    t.diagnostic(`${ep}: worst ${errs[0]!.tensor} ${errs[0]!.err.toExponential(2)}, session + run ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
}
