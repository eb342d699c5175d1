// One test matrix, run on every EP (cpu, webgpu, wasm; exclusions carry a
// reason): the ONNX ThresholdedRelu node tests, the gradient function, the
// kernel API, and the corpus tests of the sample models' ops through `trelu run`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createBackends, createKernels, runOnce, compareTensors, parseTensorProto, parseNpy } from '../../src/runtime/index.js';
import { thresholdedReluReference, thresholdedReluGradReference, numberToFloat16 } from '../../src/ops/index.js';
import { CORPUS, runCli, tmpDir } from '../helpers.js';

const EPS = ['cpu', 'webgpu', 'wasm'] as const;
/** Cases an EP does not run, each with the reason. */
const EXCLUDED: Record<string, string> = {
  'wasm:test_maxpool_2d_ceil': 'onnxruntime-web wasm MaxPool ceil_mode differs (not ThresholdedRelu-related)',
};
const backends = createBackends();

const readPb = (file: string) => parseTensorProto(new Uint8Array(fs.readFileSync(file)), file);

for (const ep of EPS) {
  test(`${ep}: the EP starts (WebGPU through SwiftShader where there is no GPU)`, async () => {
    await backends.get(ep).init();
  });

  for (const name of ['test_thresholdedrelu', 'test_thresholdedrelu_default', 'test_thresholdedrelu_example']) {
    test(`${ep}: conformance ${name} exactly`, async () => {
      const dir = path.join(CORPUS, 'node', name);
      const x = readPb(path.join(dir, 'test_data_set_0', 'input_0.pb'));
      const expected = readPb(path.join(dir, 'test_data_set_0', 'output_0.pb'));
      const out = await runOnce(backends.get(ep), path.join(dir, 'model.onnx'), { x }, { strictEp: true });
      const c = compareTensors(out.y!, expected);
      assert.equal(c.maxAbsDiff, 0, `${ep} ${name}`);
    });
  }

  test(`${ep}: kernel API forward and gradient (float32) equal the reference bit for bit, pre-allocated output filled in place`, async () => {
    const k = createKernels(backends);
    try {
      const n = 4099;
      const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.77) * 3);
      x[0] = NaN; x[1] = Infinity; x[2] = -Infinity; x[3] = 0.5; // x == alpha
      // dY: -0, NaN and infinities where the gradient passes (x > -1) and where it does not
      const dy = Float32Array.from({ length: n }, (_, i) => [-0, NaN, Infinity, -Infinity][i % 17] ?? i % 13);
      const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      const y = (await k.thresholdedRelu(x, { alpha: 0.5, ep })) as Float32Array;
      assert.deepEqual(bits(y), bits(thresholdedReluReference(x, 0.5, 'float32')));
      const dx = (await k.thresholdedReluGrad(x, dy, { alpha: -1, ep })) as Float32Array;
      const want = thresholdedReluGradReference(x, dy, -1, 'float32');
      assert.ok(want.some((v, i) => Object.is(v, -0) && x[i]! > -1), 'a -0 that passes is in the data');
      assert.deepEqual(bits(dx), bits(want), 'gradient bit for bit, -0 included');
      const out = new Float32Array(n);
      const same = await k.thresholdedRelu(x, { alpha: 0.5, ep, out });
      assert.equal(same, out);
      assert.deepEqual([...out], [...y]);
    } finally {
      await k.release();
    }
  });
}

test('webgpu: float16 forward and gradient on the GPU kernel equal the reference (alpha rounded to float16)', async (t) => {
  const k = createKernels(backends);
  try {
    // Exclusion with its reason: SwiftShader has no shader-f16, and ORT's WebGPU float16 kernels need it.
    const probe = await k.thresholdedRelu(Uint16Array.of(0), { ep: 'webgpu', dtype: 'float16' }).then(() => undefined, (e: Error) => e.message);
    if (probe && /requires f16 but the device does not support it/.test(probe)) {
      t.skip('this WebGPU adapter (SwiftShader) has no shader-f16 support');
      return;
    }
    assert.equal(probe, undefined);
    const vals = [-2, 0, 0.5, 1.0006, 1.0009765625, 2, 65504, -65504];
    const x = Uint16Array.from(vals.map(numberToFloat16));
    const dy = Uint16Array.from(vals.map((_, i) => numberToFloat16(i + 1)));
    const y = (await k.thresholdedRelu(x, { alpha: 1.0006, ep: 'webgpu', dtype: 'float16' })) as Uint16Array;
    assert.deepEqual([...y], [...thresholdedReluReference(x, 1.0006, 'float16')]);
    const dx = (await k.thresholdedReluGrad(x, dy, { alpha: 1.0006, ep: 'webgpu', dtype: 'float16' })) as Uint16Array;
    assert.deepEqual([...dx], [...thresholdedReluGradReference(x, dy, 1.0006, 'float16')]);
  } finally {
    await k.release();
  }
});

test('webgpu in onnxruntime-node: keepOnDevice is refused instead of letting ORT abort the process', async () => {
  // ORT 1.30's node binding aborts (SIGABRT) on getData() of a gpu-buffer output and on feeding one back.
  const k = createKernels(backends);
  try {
    await assert.rejects(k.thresholdedRelu(Float32Array.from([0, 2]), { alpha: 1, ep: 'webgpu', keepOnDevice: true }), /aborts the process/);
  } finally {
    await k.release();
  }
});

// The corpus's tests for the ops the sample models use, through `trelu run` on each EP.
const OP_TESTS = ['test_gemm_default_no_bias', 'test_gemm_transposeB', 'test_matmul_2d', 'test_conv_with_strides_padding', 'test_relu', 'test_add', 'test_maxpool_2d_default', 'test_globalaveragepool', 'test_flatten_axis1', 'test_maxpool_2d_ceil'];

for (const ep of EPS) {
  test(`${ep}: trelu run passes the corpus tests of Gemm, MatMul, Conv, Relu, Add, MaxPool, GlobalAveragePool, Flatten`, async () => {
    let ran = 0;
    for (const name of OP_TESTS) {
      if (EXCLUDED[`${ep}:${name}`]) continue;
      const dir = path.join(CORPUS, 'node', name);
      const set = path.join(dir, 'test_data_set_0');
      const inputs = fs.readdirSync(set).filter((f) => f.startsWith('input_')).sort();
      const model = fs.readFileSync(path.join(dir, 'model.onnx'));
      const { onnx } = await import('../../src/onnx/proto.js');
      const proto = onnx.ModelProto.decode(model);
      const inputNames = proto.graph!.input.map((i) => i.name).filter((n) => !proto.graph!.initializer.some((t) => t.name === n));
      const out = tmpDir();
      const args = ['run', path.join(dir, 'model.onnx'), '--ep', ep, '--repeat', '0', '--output', out, ...inputNames.flatMap((n, i) => ['--input', `${n}=${path.join(set, inputs[i]!)}`])];
      const r = await runCli(...args);
      assert.equal(r.code, 0, `${ep} ${name}: ${r.out.join('\n')}`);
      for (const o of proto.graph!.output) {
        const got = parseNpy(new Uint8Array(fs.readFileSync(path.join(out, ep, `${o.name}.npy`)))); // one layout: <dir>/<ep>/
        const expected = readPb(path.join(set, `output_${proto.graph!.output.indexOf(o)}.pb`));
        const c = compareTensors(got, expected);
        assert.ok(c.ok, `${ep} ${name} ${o.name}: max diff ${c.maxAbsDiff}`);
      }
      ran++;
    }
    assert.ok(ran >= OP_TESTS.length - 1);
  });
}

test('no silent CPU fallback: run reports a ThresholdedRelu that fell back, --strict-ep refuses it', async () => {
  // float64 ThresholdedRelu: WebGPU has no double kernel, the CPU has none either, so build a
  // float16 model for wasm-less check instead: WebGPU has float16 and the CPU runs it via casts.
  const { onnx } = await import('../../src/onnx/proto.js');
  const Long = (await import('long')).default;
  const dir = tmpDir();
  const file = path.join(dir, 'v9.onnx');
  // Opset 9: the experimental ThresholdedRelu-1, which only ORT's CPU EP implements.
  const tt = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: Long.fromNumber(4) }] } } };
  fs.writeFileSync(file, onnx.ModelProto.encode({
    irVersion: Long.fromNumber(5), opsetImport: [{ domain: '', version: Long.fromNumber(9) }],
    graph: { name: 'g', node: [{ name: 'old_trelu', opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: [{ name: 'alpha', type: 1, f: 0.5 }] }], input: [{ name: 'x', type: tt }], output: [{ name: 'y', type: tt }] },
  }).finish());
  const loose = await runCli('run', file, '--ep', 'webgpu', '--repeat', '0', '--json');
  assert.equal(loose.code, 0, loose.out.join('\n'));
  const placement = JSON.parse(loose.out.join('\n')).results[0].placement;
  assert.deepEqual(placement.thresholdedReluOnCpu, ['old_trelu']);
  const text = await runCli('run', file, '--ep', 'webgpu', '--repeat', '0');
  assert.match(text.err.join('\n'), /ThresholdedRelu 'old_trelu' ran on the CPU, not on webgpu/); // warnings go to stderr
  const strict = await runCli('run', file, '--ep', 'webgpu', '--repeat', '0', '--strict-ep');
  assert.equal(strict.code, 1);
  assert.match(strict.out.join('\n'), /FAILED/);
});

test('cuda without ORT\'s CUDA binaries fails fast, with what is missing', async () => {
  const t0 = performance.now();
  const r = await runCli('run', path.join(CORPUS, 'node', 'test_thresholdedrelu', 'model.onnx'), '--ep', 'cuda', '--repeat', '0');
  assert.equal(r.code, 1);
  assert.match(r.out.join('\n'), /cuda.*(not installed|cannot start)/);
  assert.match(r.out.join('\n'), /setup:cuda/);
  assert.ok(performance.now() - t0 < 10_000, 'fails fast');
});

test('check-eps agrees across cpu, webgpu and wasm, and doctor reports them', async () => {
  const r = await runCli('check-eps', path.join(CORPUS, 'node', 'test_thresholdedrelu', 'model.onnx'), '--ep', 'cpu,webgpu,wasm', '--json');
  assert.equal(r.code, 0, r.out.join('\n'));
  const j = JSON.parse(r.out.join('\n'));
  assert.equal(j.ok, true);
  assert.ok(j.comparisons.some((c: { ep: string; against: string }) => c.ep === 'webgpu' && c.against === 'reference'));
  const d = await runCli('doctor', '--json');
  const doc = JSON.parse(d.out.join('\n'));
  assert.deepEqual(doc.eps.filter((e: { usable: boolean }) => e.usable).map((e: { name: string }) => e.name), ['cpu', 'webgpu', 'wasm']);
  assert.match(doc.webgpuAdapter, /SwiftShader|Vulkan/);
});

test('npm run setup:cuda either installs ORT\'s CUDA EP binaries or fails with a clear message', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['scripts/setup-cuda.mjs'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0) {
    assert.match(r.stdout, /setup:cuda: done/);
  } else {
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^setup:cuda: failed: .+/m);
    assert.match(r.stderr, /hint: /);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  }
});
