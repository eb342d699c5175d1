/**
 * Structure-aware mutations of ONNX models (see wire-tree.ts): varint values
 * with the lengths around them fixed up, string fields set to prototype keys
 * or other names of the model, fields swapped, dropped or duplicated, a
 * sub-message spliced in from another model, and byte-level truncation and
 * flips for the framing itself.
 */
import { allFields, allMessages, cloneMessage, parseMessage, serializeMessage, type WireField, type WireMessage } from './wire-tree.js';

export type Random = () => number;

const INTERESTING_VARINTS = [0n, 1n, 2n, 3n, 7n, 16n, 255n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 40n, 2n ** 53n, 2n ** 62n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 2n];
const INTERESTING_STRINGS = ['', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype',
  'ThresholdedRelu', 'Relu', 'If', 'Loop', 'Scan', 'Conv', 'Where', 'Greater', 'Less', 'Cast', 'Mul', 'Concat', 'MaxPool', 'AveragePool',
  'ConstantOfShape', 'Reshape', 'Constant', 'Gemm', 'alpha', 'axis', 'group', 'kernel_shape', 'pads', 'strides', 'ai.onnx', 'com.microsoft', 'ai.onnx.ml'];

export const MUTATORS = ['varint', 'attribute', 'attribute', 'string', 'swap', 'reorder', 'drop', 'duplicate', 'splice', 'truncate', 'flip'] as const;
export type MutatorName = (typeof MUTATORS)[number];

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Strings of the model (names, op types) to reuse: a mutation that swaps in an existing name makes interesting graphs. */
function stringsOf(m: WireMessage): string[] {
  const out: string[] = [];
  for (const { parent, index } of allFields(m)) {
    const f = parent.fields[index]!;
    if (f.type === 'string' && f.value instanceof Uint8Array && f.value.length < 64) out.push(new TextDecoder().decode(f.value));
  }
  return out;
}

/** Applies one mutation in place (or returns new bytes for the byte-level ones). */
export function mutateOnce(root: WireMessage, donors: readonly WireMessage[], r: Random, name: MutatorName): Uint8Array | undefined {
  const fields = allFields(root);
  if (fields.length === 0) return undefined;
  const select = (pred: (f: WireField) => boolean) => {
    const c = fields.filter(({ parent, index }) => pred(parent.fields[index]!));
    return c.length ? pick(r, c) : undefined;
  };
  switch (name) {
    case 'varint': {
      const s = select((f) => f.wireType === 0);
      if (!s) return undefined;
      const f = s.parent.fields[s.index]!;
      const old = f.value as bigint;
      const roll = r();
      f.value = roll < 0.6 ? pick(r, INTERESTING_VARINTS) : roll < 0.8 ? BigInt.asUintN(64, old + BigInt(Math.floor(r() * 5) - 2)) : BigInt(Math.floor(r() * 1000));
      return undefined;
    }
    case 'attribute': {
      // An attribute's int or ints set to what rules must refuse: 0, negatives, huge (group = 0, kernel sizes, axes).
      const attrs = allMessages(root).filter((m) => m.type === 'AttributeProto' && m.fields.some((f) => f.id === 3 || f.id === 8));
      if (!attrs.length) return undefined;
      const a = pick(r, attrs);
      const ints = a.fields.filter((f) => (f.id === 3 || f.id === 8) && f.wireType === 0);
      if (!ints.length) return undefined;
      const values = [0n, 1n, -1n, -2n, -7n, 2n, 3n, 5n, 64n, 1000n, 2n ** 31n, 2n ** 40n, -(2n ** 31n)];
      for (const f of ints) if (r() < 0.7) f.value = BigInt.asUintN(64, pick(r, values));
      return undefined;
    }
    case 'string': {
      const s = select((f) => f.type === 'string' || f.type === 'bytes');
      if (!s) return undefined;
      const f = s.parent.fields[s.index]!;
      const pool = r() < 0.5 ? INTERESTING_STRINGS : stringsOf(root);
      f.value = new TextEncoder().encode(pool.length ? pick(r, pool) : '');
      f.message = undefined;
      return undefined;
    }
    case 'swap': {
      // Two fields of the same id in one message trade values (two node inputs, two names, two nodes).
      const s = select(() => true)!;
      const same = s.parent.fields.map((f, i) => ({ f, i })).filter(({ f, i }) => f.id === s.parent.fields[s.index]!.id && i !== s.index);
      if (!same.length) return undefined;
      const other = pick(r, same).i;
      [s.parent.fields[s.index], s.parent.fields[other]] = [s.parent.fields[other]!, s.parent.fields[s.index]!];
      return undefined;
    }
    case 'reorder': {
      // Swap a graph's nodes: breaks topological order.
      const graphs = allMessages(root).filter((m) => m.type === 'GraphProto');
      if (!graphs.length) return undefined;
      const g = pick(r, graphs);
      const nodes = g.fields.map((f, i) => ({ f, i })).filter(({ f }) => f.id === 1);
      if (nodes.length < 2) return undefined;
      const a = pick(r, nodes).i;
      const b = pick(r, nodes).i;
      [g.fields[a], g.fields[b]] = [g.fields[b]!, g.fields[a]!];
      return undefined;
    }
    case 'drop': {
      const s = select(() => true)!;
      s.parent.fields.splice(s.index, 1);
      return undefined;
    }
    case 'duplicate': {
      const s = select(() => true)!;
      const f = s.parent.fields[s.index]!;
      s.parent.fields.splice(s.index, 0, { ...f, message: f.message ? cloneMessage(f.message) : undefined });
      return undefined;
    }
    case 'splice': {
      // A sub-message from another model replaces one of the same type here (or is added next to it).
      const s = select((f) => f.message !== undefined);
      if (!s || !donors.length) return undefined;
      const f = s.parent.fields[s.index]!;
      const donor = pick(r, donors);
      const same = allMessages(donor).filter((m) => m.type === f.message!.type);
      if (!same.length) return undefined;
      const sub = cloneMessage(pick(r, same));
      if (r() < 0.5) f.message = sub;
      else s.parent.fields.splice(s.index + 1, 0, { ...f, message: sub });
      return undefined;
    }
    case 'truncate': {
      const bytes = serializeMessage(root);
      return bytes.subarray(0, Math.floor(r() * bytes.length));
    }
    case 'flip': {
      const bytes = serializeMessage(root).slice();
      const n = 1 + Math.floor(r() * 4);
      for (let i = 0; i < n && bytes.length; i++) bytes[Math.floor(r() * bytes.length)] ^= 1 << Math.floor(r() * 8);
      return bytes;
    }
  }
}

/** 1 to 3 mutations of a parsed corpus model; returns the mutated bytes and the mutator names. */
export function mutate(seed: WireMessage, donors: readonly WireMessage[], r: Random): { bytes: Uint8Array; mutators: MutatorName[] } {
  const root = cloneMessage(seed);
  const count = 1 + Math.floor(r() * 3);
  const mutators: MutatorName[] = [];
  for (let i = 0; i < count; i++) {
    // Byte-level mutators end the chain: after them there is no tree to mutate.
    const name = pick(r, i < count - 1 ? MUTATORS.filter((m) => m !== 'truncate' && m !== 'flip') : MUTATORS);
    mutators.push(name);
    const bytes = mutateOnce(root, donors, r, name);
    if (bytes) return { bytes, mutators };
  }
  return { bytes: serializeMessage(root), mutators };
}

export { parseMessage, serializeMessage };
