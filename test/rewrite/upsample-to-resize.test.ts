// Upsample (opset 7 attribute form, opset 9 input form) and Resize-10/11 carried to Resize-13 by
// the opset upgrade: ORT's kernels for the old model and for the upgraded one give the same outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { onnx, DataType, AttributeType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { upgradeOpset } from '../../src/rewrite/opset-upgrade.js';
import { runOnCpu, seededRandom } from '../../src/runtime/index.js';

const str = (name: string, v: string) => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(v) });
const flts = (name: string, v: number[]) => ({ name, type: AttributeType.FLOATS, floats: v });

function upsampleModel(opset: 7 | 9 | 10 | 11, mode: string, scales: number[], x: number[], coordinates?: string) {
  const op = opset >= 10 ? 'Resize' : 'Upsample';
  const inputs = opset === 11 ? ['x', 'roi', 'sc'] : opset === 7 ? ['x'] : ['x', 'sc'];
  const dims = (d: number[]) => ({ tensorType: { elemType: DataType.FLOAT, shape: { dim: d.map((v) => ({ dimValue: Long.fromNumber(v) })) } } });
  return encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(5), opsetImport: [{ domain: '', version: Long.fromNumber(opset) }],
    graph: {
      name: 'g',
      node: [{ name: 'up', opType: op, input: inputs, output: ['y'], attribute: [str('mode', mode), ...(opset === 7 ? [flts('scales', scales)] : []), ...(coordinates ? [str('coordinate_transformation_mode', coordinates)] : [])] }],
      input: [{ name: 'x', type: dims(x) }],
      output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }],
      initializer: [
        ...(opset !== 7 ? [{ name: 'sc', dataType: DataType.FLOAT, dims: [Long.fromNumber(scales.length)], floatData: scales }] : []),
        ...(opset === 11 ? [{ name: 'roi', dataType: DataType.FLOAT, dims: [Long.fromNumber(0)] }] : []),
      ],
    },
  }) as never);
}

for (const [opset, mode, scales, x] of [
  [9, 'nearest', [1, 1, 2, 1.5], [1, 2, 3, 4]],
  [9, 'linear', [1, 1, 1.5, 2], [1, 2, 3, 4]],
  [9, 'linear', [1, 1, 2.5, 1], [2, 1, 3, 5]],
  [7, 'nearest', [1, 1, 3, 2], [1, 1, 2, 3]],
  [7, 'linear', [1, 1, 2, 2], [1, 2, 3, 3]],
  [10, 'nearest', [1, 1, 2, 1.5], [1, 2, 3, 4]],
  [10, 'nearest', [1, 1, 0.5, 0.75], [1, 1, 4, 8]],
  [10, 'linear', [1, 1, 1.5, 0.5], [1, 2, 4, 6]],
  [11, 'linear', [1, 1, 1.5, 2], [1, 2, 3, 4]],
  [11, 'nearest', [1, 1, 2.5, 1.5], [1, 2, 3, 4]],
] as const) {
  test(`${opset >= 10 ? 'Resize' : 'Upsample'}-${opset} ${mode} scales [${scales}] upgraded (to 11 and 16, or 16): the same outputs in ORT`, async () => {
    const bytes = upsampleModel(opset, mode, [...scales], [...x], opset === 11 ? 'half_pixel' : undefined);
    const r = seededRandom(5);
    const feeds = { x: { type: 'float32' as const, data: Float32Array.from({ length: (x as readonly number[]).reduce((a, b) => a * b, 1) }, () => r() * 4 - 2), dims: [...x] } };
    const before = await runOnCpu(bytes, feeds);
    for (const target of opset < 11 ? [11, 16] : [16]) {
      const m = modelFromProto(decodeModel(bytes));
      const report = upgradeOpset(m, target);
      if (opset < 11) assert.match(report.adapted.join('\n'), /'up': .*asymmetric/);
      assert.deepEqual(m.graph.nodes.map((n) => n.opType), ['Resize']);
      const after = await runOnCpu(encodeModel(modelToProto(m)), feeds);
      assert.deepEqual(after.y!.dims, before.y!.dims);
      const a = after.y!.data as Float32Array;
      const b = before.y!.data as Float32Array;
      for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-6 * Math.max(1, Math.abs(b[i]!)), `opset ${target}, y[${i}]: ${a[i]} after, ${b[i]} before`);
    }
  });
}

test('Upsample nearest with scales computed at run time stays a blocker, with the reason', () => {
  const bytes = upsampleModel(9, 'nearest', [1, 1, 2, 2], [1, 1, 2, 2]);
  const proto = decodeModel(bytes);
  proto.graph!.initializer = [];
  proto.graph!.input.push({ name: 'sc', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: Long.fromNumber(4) }] } } } } as never);
  assert.throws(() => upgradeOpset(modelFromProto(proto), 16), /Upsample 'up'.*deprecated in opset 10.*scales computed at run time/);
});
