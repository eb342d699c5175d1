/**
 * What every fuzzed input goes through: decode → IR → validate → infer →
 * fuse / decompose / replace / gradient → encode → decode. A TreluError at any
 * stage is the right answer to a bad model; anything else thrown is a bug,
 * reported with the stage and a signature for de-duplication.
 */
import { TreluError } from '../../src/errors.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import { modelToProto } from '../../src/graph/to-proto.js';
import { inferTypes } from '../../src/graph/infer.js';
import { validateModel } from '../../src/validate/validate.js';
import { summarizeModel } from '../../src/graph/summary.js';
import { fuse, decompose } from '../../src/rewrite/index.js';
import { replaceActivations } from '../../src/rewrite/replace.js';
import { buildGradient } from '../../src/train/autodiff.js';
import type { Model } from '../../src/graph/model.js';
import type { ModelProto } from '../../src/onnx/proto.js';

export type Outcome =
  | { kind: 'ok'; roundTripChanged: boolean }
  | { kind: 'rejected'; stage: string; code: string }
  | { kind: 'bug'; stage: string; signature: string; message: string };

const REPLACE_FROM = ['Relu', 'LeakyRelu', 'Clip', 'Elu', 'Selu', 'Celu', 'Gelu', 'Softplus'];

/** The stack's first frame inside onnx-trelu's own code, as `file:line`, for the crash signature. */
function topFrame(e: Error): string {
  for (const line of (e.stack ?? '').split('\n').slice(1)) {
    const m = /\/(src\/[^):]+):(\d+)/.exec(line);
    if (m) return `${m[1]}:${m[2]}`;
  }
  return '?';
}

export function runPipeline(bytes: Uint8Array): Outcome {
  let stage = 'decode';
  try {
    const proto = decodeModel(bytes);
    const fresh = (): Model => modelFromProto(proto);
    stage = 'ir';
    const base = fresh();
    stage = 'roundtrip';
    const roundTripChanged = !sameBytes(encodeModel(proto), encodeModel(modelToProto(base)));
    stage = 'summary';
    summarizeModel(base);
    stage = 'validate';
    validateModel(base);
    stage = 'infer';
    inferTypes(base);
    const transforms: [string, (m: Model) => unknown][] = [
      ['fuse', (m) => fuse(m, { allowNanChange: true })],
      ['decompose', (m) => decompose(m)],
      ['replace', (m) => replaceActivations(m, { from: REPLACE_FROM, alpha: 0.5 })],
      // An mse loss on the first output: the model's own outputs are rarely scalars.
      ['grad', (m) => buildGradient(m, { lossFn: 'mse', on: m.graph.outputs[0]?.name ?? 'y', wrt: 'params' })],
      ['grad-inputs', (m) => buildGradient(m, { lossFn: 'mse', on: m.graph.outputs[0]?.name ?? 'y', wrt: m.graph.inputs.filter((v) => !v.initializer).map((v) => v.name) })],
    ];
    for (const [name, transform] of transforms) {
      stage = name;
      let model: Model | undefined;
      try {
        model = fresh();
        transform(model);
      } catch (e) {
        // A transform that refuses this model is fine; the others still run.
        if (e instanceof TreluError) continue;
        throw e;
      }
      stage = `${name}:encode`;
      const out: ModelProto = modelToProto(model);
      const encoded = encodeModel(out);
      stage = `${name}:decode`;
      decodeModel(encoded);
    }
    return { kind: 'ok', roundTripChanged };
  } catch (e) {
    if (e instanceof TreluError) return { kind: 'rejected', stage, code: e.code };
    const err = e instanceof Error ? e : new Error(String(e));
    const message = err.message.replace(/\s+/g, ' ').slice(0, 200);
    return { kind: 'bug', stage, signature: `${stage}|${err.name}|${topFrame(err)}`, message };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
