// Upsample (opset 7 attribute form, opset 9 input form) carried to Resize by the opset upgrade:
// ORT's own Upsample on the old model and ORT's Resize on the upgraded one give the same outputs.
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

function upsampleModel(opset: 7 | 9, mode: string, scales: number[], x: number[]) {
  const dims = (d: number[]) => ({ tensorType: { elemType: DataType.FLOAT, shape: { dim: d.map((v) => ({ dimValue: Long.fromNumber(v) })) } } });
  return encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(5), opsetImport: [{ domain: '', version: Long.fromNumber(opset) }],
    graph: {
      name: 'g',
      node: [{ name: 'up', opType: 'Upsample', input: opset === 9 ? ['x', 'sc'] : ['x'], output: ['y'], attribute: [str('mode', mode), ...(opset === 7 ? [flts('scales', scales)] : [])] }],
      input: [{ name: 'x', type: dims(x) }],
      output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }],
      initializer: opset === 9 ? [{ name: 'sc', dataType: DataType.FLOAT, dims: [Long.fromNumber(scales.length)], floatData: scales }] : [],
    },
  }) as never);
}

for (const [opset, mode, scales, x] of [
  [9, 'nearest', [1, 1, 2, 1.5], [1, 2, 3, 4]],
  [9, 'linear', [1, 1, 1.5, 2], [1, 2, 3, 4]],
  [9, 'linear', [1, 1, 2.5, 1], [2, 1, 3, 5]],
  [7, 'nearest', [1, 1, 3, 2], [1, 1, 2, 3]],
  [7, 'linear', [1, 1, 2, 2], [1, 2, 3, 3]],
] as const) {
  test(`Upsample-${opset} ${mode} scales [${scales}] upgraded to opset 16: the Resize gives ORT's Upsample results`, async () => {
    const bytes = upsampleModel(opset, mode, [...scales], [...x]);
    const r = seededRandom(5);
    const feeds = { x: { type: 'float32' as const, data: Float32Array.from({ length: (x as readonly number[]).reduce((a, b) => a * b, 1) }, () => r() * 4 - 2), dims: [...x] } };
    const before = await runOnCpu(bytes, feeds);
    const m = modelFromProto(decodeModel(bytes));
    const report = upgradeOpset(m, 16);
    assert.match(report.adapted.join('\n'), /Upsample 'up'|Resize 'up'/);
    assert.deepEqual(m.graph.nodes.map((n) => n.opType), ['Resize']);
    const after = await runOnCpu(encodeModel(modelToProto(m)), feeds);
    assert.deepEqual(after.y!.dims, before.y!.dims);
    const a = after.y!.data as Float32Array;
    const b = before.y!.data as Float32Array;
    for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-6 * Math.max(1, Math.abs(b[i]!)), `y[${i}]: Resize ${a[i]}, Upsample ${b[i]}`);
  });
}

test('Upsample nearest with scales computed at run time stays a blocker, with the reason', () => {
  const bytes = upsampleModel(9, 'nearest', [1, 1, 2, 2], [1, 1, 2, 2]);
  const proto = decodeModel(bytes);
  proto.graph!.initializer = [];
  proto.graph!.input.push({ name: 'sc', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: Long.fromNumber(4) }] } } } } as never);
  assert.throws(() => upgradeOpset(modelFromProto(proto), 16), /Upsample 'up'.*deprecated in opset 10.*scales computed at run time/);
});
