// Every torch corpus model (test/corpus/torch-corpus.ts): the gradient built from the export,
// each parameter's gradient compared with torch autograd's (float64 reference, relative error as
// defined in torch-reference.ts, tolerance 1e-4, NaN fails), on ORT cpu, then the same gradient
// model on wasm and webgpu against cpu. Both forms: F.cross_entropy in the graph (loss.onnx) and
// the inference model with --loss-fn cross-entropy appended (model.onnx). buildGradient lowers the
// BatchNorm-training CNN's training-mode BatchNormalization itself (i13's lowering).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { buildGradient, parameterFeeds, type GradientReport } from '../../src/train/index.js';
import type { LossFunction } from '../../src/train/loss.js';
import { createBackends, runOnce, type TensorLike } from '../../src/runtime/index.js';
import { torchCorpus, type TorchModel } from '../corpus/torch-corpus.js';
import { compareWithTorch, parameterInitializers, relError } from './torch-reference.js';

const TOLERANCE = 1e-4;
const backends = createBackends();
const models = torchCorpus();
/** wasm and webgpu (SwiftShader on the CPU) run every model but resnet18 (11M parameters: minutes on
 * SwiftShader); resnet18 runs on cpu only. Its ops are all in the other models' graphs. */
const SLOW_ON_EMULATED_EPS = new Set(['resnet18']);

/** The --loss-fn that computes what the torch loss does, where there is one. */
const BUILT_IN: Record<string, LossFunction> = { 'F.cross_entropy': 'cross-entropy', loss_mse: 'mse', loss_l1: 'l1' };

function gradientOf(m: TorchModel, file: 'model.onnx' | 'loss.onnx') {
  const model = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(`${m.dir}/${file}`))));
  const wrt = parameterInitializers(m, file);
  const report = buildGradient(model, file === 'loss.onnx' ? { loss: 'loss', wrt } : { lossFn: BUILT_IN[m.manifest.loss]!, on: 'logits', wrt });
  const labels = file === 'loss.onnx' ? 'labels' : model.graph.inputs.find((v) => v.name.startsWith('labels'))!.name;
  const feeds: Record<string, TensorLike> = { input: m.npy(m.manifest.input.file), [labels]: m.npy(m.manifest.labels.file), ...parameterFeeds(report) };
  const bytes = encodeModel(modelToProto(model));
  // Only proven value_info: the gradient model declares no value_info beyond what the export had
  // (its gradient outputs are typed as the tensors they are gradients of; a former output keeps its declaration).
  const source = decodeModel(new Uint8Array(fs.readFileSync(`${m.dir}/${file}`))).graph!;
  const before = new Set([...source.valueInfo, ...source.output].map((v) => v.name));
  const added = decodeModel(bytes).graph!.valueInfo.map((v) => v.name).filter((n) => !before.has(n));
  assert.deepEqual(added, [], `${m.name}/${file}: value_info the builder did not prove`);
  return { report, bytes, feeds };
}

function assertMatchesTorch(m: TorchModel, file: 'model.onnx' | 'loss.onnx', report: GradientReport, out: Record<string, TensorLike>, where: string) {
  const errs = compareWithTorch(m, file, report, out);
  assert.equal(errs.length, parameterInitializers(m, file).length);
  const bad = errs.filter((e) => !(e.err < TOLERANCE));
  assert.deepEqual(bad, [], `${m.name}/${file} on ${where}: ${bad.length} of ${errs.length} gradients off (worst ${bad[0]?.tensor}: ${bad[0]?.err})`);
  const loss = relError(out[report.loss], m.npy(m.manifest.outputs.loss));
  assert.ok(loss < 1e-5, `${m.name} loss on ${where}: relative error ${loss}`);
}

for (const m of models) {
  test(`${m.name}: gradients match torch on cpu${SLOW_ON_EMULATED_EPS.has(m.name) ? '' : ', wasm and webgpu'} (loss in the graph${BUILT_IN[m.manifest.loss] ? `, and --loss-fn ${BUILT_IN[m.manifest.loss]}` : ''})`, async () => {
    for (const file of BUILT_IN[m.manifest.loss] ? ['loss.onnx', 'model.onnx'] as const : ['loss.onnx'] as const) {
      const g = gradientOf(m, file);
      const cpu = await runOnce(backends.get('cpu'), g.bytes, g.feeds);
      assertMatchesTorch(m, file, g.report, cpu, 'cpu');
      if (SLOW_ON_EMULATED_EPS.has(m.name) || file === 'model.onnx') continue;
      for (const ep of ['wasm', 'webgpu']) {
        const out = await runOnce(backends.get(ep), g.bytes, g.feeds);
        assertMatchesTorch(m, file, g.report, out, ep);
      }
    }
  });
}

test('squeezenet1_1 as exported in eval mode: merged biases are reported, and --untie gives each Conv its torch gradient', async () => {
  const m = models.find((x) => x.name === 'squeezenet1_1')!;
  const merged = m.manifest.onnx['model.onnx'].filter((e) => e.torch.length > 1);
  assert.ok(merged.length >= 5, `${merged.length} merged initializers in the export`);
  const model = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(m.modelPath))));
  const report = buildGradient(model, { lossFn: 'cross-entropy', on: 'logits', wrt: parameterInitializers(m, 'model.onnx'), untie: true });
  assert.deepEqual(report.shared.map((s) => s.tensor).sort(), merged.map((e) => e.onnx).sort());
  const bytes = encodeModel(modelToProto(model));
  const labels = model.graph.inputs.find((v) => v.name.startsWith('labels'))!.name;
  const out = await runOnce(backends.get('cpu'), bytes, { input: m.npy('input.npy'), [labels]: m.npy('labels.npy'), ...parameterFeeds(report) });
  const gradOf = new Map(report.gradients.map((g) => [g.tensor, g.gradient]));
  let checked = 0;
  for (const s of report.shared) {
    const entry = merged.find((e) => e.onnx === s.tensor)!;
    assert.equal(s.untiedAs!.length, entry.uses.length, s.tensor);
    s.readers.forEach((reader, k) => {
      const key = entry.uses.find((u) => u.node === reader)!.torch!;
      const err = relError(out[gradOf.get(s.untiedAs![k]!)!], m.torchGrad(key));
      assert.ok(err < TOLERANCE, `${s.untiedAs![k]} (${reader}, torch ${key}): relative error ${err}`);
      checked++;
    });
  }
  assert.equal(checked, merged.reduce((n, e) => n + e.uses.length, 0));
});
