/** Selecting tensors by `name,name` or `/regex/`, and naming the values the artifacts add. */
import { TreluError } from '../../errors.js';
import { onnx, DataType, type ValueInfoProto } from '../../onnx/proto.js';
import type { Builder } from '../../graph/builder.js';
import type { Value } from '../../graph/value.js';
import type { Dim } from '../../graph/infer/types.js';

/** Parses `a,b` or `/re/flags` (repeatable) into a predicate over names. */
export function nameSelector(specs: readonly string[]): (name: string) => boolean {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const spec of specs) {
    const m = /^\/(.*)\/([a-z]*)$/.exec(spec.trim());
    if (m) {
      try {
        patterns.push(new RegExp(m[1]!, m[2]));
      } catch (e) {
        throw new TreluError('E_USAGE', `bad regular expression ${spec}: ${(e as Error).message}`);
      }
    } else for (const n of spec.split(',').map((s) => s.trim()).filter(Boolean)) exact.add(n);
  }
  return (name) => exact.has(name) || patterns.some((p) => p.test(name));
}

/** The exact names in `specs` (not regexes) that match none of `names`. */
export function unknownNames(specs: readonly string[], names: readonly string[]): string[] {
  const known = new Set(names);
  return specs.filter((s) => !/^\/.*\/[a-z]*$/.test(s.trim())).flatMap((s) => s.split(',').map((x) => x.trim()).filter(Boolean)).filter((n) => !known.has(n));
}

export function tensorInfo(name: string, elemType: number, shape: readonly Dim[] | undefined): ValueInfoProto {
  const dims = shape?.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, ...(dims ? { shape: { dim: dims as never } } : {}) } } }) as ValueInfoProto;
}

/**
 * `v` as a graph output named `want`, typed: renamed in place where it is a
 * node's output and the name is free (an Identity would copy the tensor every
 * step: ~5% of the MLP's train step in ORT cpu's profile), else through an
 * Identity with a fresh name.
 */
export function namedOutput(b: Builder, v: Value, want: string, elemType = DataType.FLOAT, shape?: readonly Dim[]): Value {
  if (v.producer() && !b.scope.valueNames.has(want) && !b.graph.outputs.includes(v)) {
    b.scope.valueNames.register(want);
    v.name = want;
    v.info = tensorInfo(want, elemType, shape);
    return v;
  }
  const out = b.op('Identity', [v], { name: want, ...(b.scope.valueNames.has(want) ? {} : { outputNames: [want] }) });
  out.info = tensorInfo(out.name, elemType, shape);
  return out;
}
