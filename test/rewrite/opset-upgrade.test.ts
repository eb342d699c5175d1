// Opset upgrades checked by execution: every corpus model below opset 10 is
// either upgraded, and then gives the same outputs in ONNX Runtime on the
// corpus's own test data, or refused with a reason naming the node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import Long from 'long';
import { onnx } from '../../src/onnx/proto.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { upgradeOpset } from '../../src/rewrite/opset-upgrade.js';
import { isTreluError } from '../../src/errors.js';
import { CORPUS } from '../helpers.js';

function ortTensor(t: onnx.TensorProto): ort.Tensor {
  const dims = t.dims.map((d) => Long.fromValue(d).toNumber());
  const raw = t.rawData;
  const view = <T>(C: new (b: ArrayBuffer, o: number, n: number) => T, size: number) => new C(Uint8Array.prototype.slice.call(raw).buffer, 0, raw.length / size);
  switch (t.dataType) {
    case 1: return new ort.Tensor('float32', raw.length ? view(Float32Array, 4) : Float32Array.from(t.floatData), dims);
    case 7: return new ort.Tensor('int64', raw.length ? view(BigInt64Array, 8) : BigInt64Array.from(t.int64Data.map((v) => BigInt(v.toString()))), dims);
    case 6: return new ort.Tensor('int32', raw.length ? view(Int32Array, 4) : Int32Array.from(t.int32Data), dims);
    case 9: return new ort.Tensor('bool', raw.length ? new Uint8Array(raw) : Uint8Array.from(t.int32Data), dims);
    case 11: return new ort.Tensor('float64', raw.length ? view(Float64Array, 8) : Float64Array.from(t.doubleData), dims);
    default: throw new Error(`dtype ${t.dataType}`);
  }
}

async function run(bytes: Uint8Array, inputs: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
  return s.run(inputs) as Promise<Record<string, ort.Tensor>>;
}

for (const target of [10, 17]) test(`corpus models below opset 10: upgraded to ${target} and equal in ORT, or refused with reasons`, async () => {
  const dirs = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'].flatMap((d) => fs.readdirSync(path.join(CORPUS, d)).map((n) => path.join(CORPUS, d, n)));
  let upgraded = 0;
  let refused = 0;
  const refusedReasons: string[] = [];
  let compared = 0;
  const failures: string[] = [];
  for (const dir of dirs) {
    const file = path.join(dir, 'model.onnx');
    if (!fs.existsSync(file)) continue;
    const bytes = new Uint8Array(fs.readFileSync(file));
    const model = modelFromProto(decodeModel(bytes));
    const from = model.onnxOpset;
    if (from === undefined || from >= 10 || model.opsetImports.size !== 1) continue;
    try {
      upgradeOpset(model, target);
    } catch (e) {
      if (!isTreluError(e)) throw e;
      assert.match(e.message, /blocked by \d+ node/);
      refusedReasons.push(`${path.basename(dir)}: ${e.message.replace(/^.*?blocked by \d+ node\(s\): /, '')}`);
      refused++;
      continue;
    }
    upgraded++;
    assert.equal(model.onnxOpset, target);
    const after = encodeModel(modelToProto(model));
    const set = path.join(dir, 'test_data_set_0');
    if (!fs.existsSync(set)) continue;
    const proto = decodeModel(bytes);
    const inputNames = proto.graph!.input.map((i) => i.name).filter((n) => !proto.graph!.initializer.some((t) => t.name === n));
    const inputs: Record<string, ort.Tensor> = {};
    try {
      inputNames.forEach((name, i) => (inputs[name] = ortTensor(onnx.TensorProto.decode(fs.readFileSync(path.join(set, `input_${i}.pb`))))));
    } catch {
      continue; // an input type this test does not read
    }
    let before: Record<string, ort.Tensor>;
    try {
      before = await run(bytes, inputs);
    } catch {
      continue; // ORT cannot run the original either
    }
    try {
      const out = await run(after, inputs);
      for (const [k, v] of Object.entries(before)) {
        assert.deepEqual(Array.from(out[k]!.data as ArrayLike<number>), Array.from(v.data as ArrayLike<number>), `${dir}: ${k}`);
      }
      compared++;
    } catch (e) {
      failures.push(`${path.basename(dir)}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  console.log(`# opset upgrade to ${target}: ${upgraded} upgraded (${compared} compared in ORT), ${refused} refused`);
  for (const r of refusedReasons) console.log(`#   refused ${r}`);
  assert.deepEqual(failures, []);
  assert.ok(upgraded >= 20 && compared >= 10, `${upgraded} upgraded, ${compared} compared`);
});
