/**
 * The package's entry points, resolved the way users resolve them (the
 * package's own name through its "exports" map): every subpath loads, the
 * root is a curated list without internals, and `thresholdedRelu` has one
 * meaning (the kernel; the op definition is `thresholdedReluOp`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { name: string; exports: Record<string, { types: string; default: string; browser?: string }> };

test('every subpath of the exports map resolves, with its types beside it', async () => {
  assert.deepEqual(Object.keys(pkg.exports), ['.', './onnx', './graph', './rewrite', './train', './runtime', './node', './web']);
  const expect: Record<string, string[]> = {
    '.': ['decodeModel', 'modelFromProto', 'validateModel', 'replaceActivations', 'buildGradient', 'createBackends', 'loadModelFile', 'TreluError'],
    './onnx': ['decodeModel', 'encodeModel', 'onnx', 'externalDataInfo'],
    './graph': ['Model', 'Builder', 'topologicalSort', 'inferModel', 'valueInfo', 'inferTypes'],
    './rewrite': ['fuse', 'decompose', 'applyRules', 'PatternBuilder'],
    './train': ['buildGradient', 'buildTrainingArtifacts', 'Trainer', 'encodeSafetensors'],
    './runtime': ['createBackends', 'createKernels', 'runModel', 'EPS'],
    './node': ['loadModelFile', 'saveModelFile', 'readData', 'writeFileAtomic'],
    './web': ['createWebBackends', 'OrtWebBackend', 'verifyRewrite', 'lineChartSvg', 'Trainer'],
  };
  for (const [sub, names] of Object.entries(expect)) {
    const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
    const m = (await import(spec)) as Record<string, unknown>;
    for (const n of names) assert.ok(n in m, `${spec} exports ${n}`);
    assert.ok(fs.existsSync(pkg.exports[sub]!.types), `${spec}: ${pkg.exports[sub]!.types}`);
  }
});

test('the root is curated: no internals, one meaning for thresholdedRelu', async () => {
  const root = (await import(pkg.name)) as Record<string, unknown>;
  for (const internal of ['makeContext', 'EXIT_OK', 'EXIT_CHECK_FAILED', 'EXIT_BAD_INPUT', 'createRegistry', 'runOnCpu', 'PendingFile']) assert.equal(internal in root, false, internal);
  assert.ok(Object.keys(root).length <= 60, `${Object.keys(root).length} names in the root`);
  assert.equal(typeof root.thresholdedRelu, 'function', 'thresholdedRelu is the kernel');
  assert.equal((root.thresholdedReluOp as { opType: string }).opType, 'ThresholdedRelu', 'thresholdedReluOp is the op definition');
  const kernel = root.thresholdedRelu as (x: Float32Array, o: { alpha: number }) => Promise<Float32Array>;
  assert.deepEqual(Array.from(await kernel(Float32Array.of(0.5, 1, 1.5), { alpha: 1 })), [0, 0, 1.5]);
  const train = (await import(`${pkg.name}/train`)) as Record<string, unknown>;
  assert.equal('makeContext' in train, false);
});
