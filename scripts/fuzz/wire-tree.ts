/**
 * A protobuf message as a tree of fields, read with the ONNX schema (so a
 * length-delimited field is known to be a sub-message, a string or bytes) and
 * written back with every length prefix recomputed: what lets a mutation
 * change a varint or a sub-message and still produce a well-framed file.
 */
import { FIELDS } from '../../src/onnx/generated/fields.js';

export interface WireField {
  id: number;
  wireType: number;
  /** Varints as bigint (up to 64 bits); fixed32/fixed64/length-delimited payloads as bytes. */
  value: bigint | Uint8Array;
  /** The schema's type for this field ('message', 'string', 'int64', ...), if the field is known. */
  type?: string;
  /** For a known message field that parsed: its fields. */
  message?: WireMessage;
}

export interface WireMessage {
  /** Schema message name, e.g. 'NodeProto'. */
  type: string;
  fields: WireField[];
}

type FieldInfo = { id: number; type: string; message?: string; packed: boolean };
const SCHEMA = FIELDS as unknown as Record<string, FieldInfo[]>;

/** Parses `bytes` as message `type`; undefined if the framing is broken. */
export function parseMessage(bytes: Uint8Array, type: string, depth = 0): WireMessage | undefined {
  if (depth > 60) return undefined;
  const fields: WireField[] = [];
  const schema = SCHEMA[type] ?? [];
  let pos = 0;
  const varint = (): bigint | undefined => {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= bytes.length) return undefined;
      const b = bytes[pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v & 0xffffffffffffffffn;
    }
    return undefined;
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === undefined || tag < 8n) return undefined;
    const id = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    const info = schema.find((f) => f.id === id);
    let value: bigint | Uint8Array;
    if (wireType === 0) {
      const v = varint();
      if (v === undefined) return undefined;
      value = v;
    } else if (wireType === 1 || wireType === 5) {
      const n = wireType === 1 ? 8 : 4;
      if (pos + n > bytes.length) return undefined;
      value = bytes.subarray(pos, pos + n);
      pos += n;
    } else if (wireType === 2) {
      const n = varint();
      if (n === undefined || pos + Number(n) > bytes.length) return undefined;
      value = bytes.subarray(pos, pos + Number(n));
      pos += Number(n);
    } else {
      return undefined;
    }
    const field: WireField = { id, wireType, value, type: info?.type };
    if (info?.type === 'message' && wireType === 2 && info.message) {
      const sub = parseMessage(value as Uint8Array, info.message, depth + 1);
      if (sub) field.message = sub;
    }
    fields.push(field);
  }
  return { type, fields };
}

function encodeVarint(v: bigint, out: number[]): void {
  let x = BigInt.asUintN(64, v);
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) b |= 0x80;
    out.push(b);
  } while (x !== 0n);
}

/** Serializes with lengths recomputed from the (possibly mutated) children. */
export function serializeMessage(m: WireMessage): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const f of m.fields) {
    const head: number[] = [];
    encodeVarint((BigInt(f.id) << 3n) | BigInt(f.wireType), head);
    let payload: Uint8Array | undefined;
    if (f.wireType === 0) {
      encodeVarint(f.value as bigint, head);
    } else if (f.wireType === 2) {
      payload = f.message ? serializeMessage(f.message) : (f.value as Uint8Array);
      encodeVarint(BigInt(payload.length), head);
    } else {
      payload = f.value as Uint8Array;
    }
    const h = Uint8Array.from(head);
    parts.push(h);
    total += h.length;
    if (payload) {
      parts.push(payload);
      total += payload.length;
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every (message, field index) in the tree, parents before children. */
export function allFields(m: WireMessage, out: { parent: WireMessage; index: number }[] = []): { parent: WireMessage; index: number }[] {
  m.fields.forEach((f, index) => {
    out.push({ parent: m, index });
    if (f.message) allFields(f.message, out);
  });
  return out;
}

/** Every sub-message in the tree (the root included), with its type. */
export function allMessages(m: WireMessage, out: WireMessage[] = []): WireMessage[] {
  out.push(m);
  for (const f of m.fields) if (f.message) allMessages(f.message, out);
  return out;
}

export function cloneMessage(m: WireMessage): WireMessage {
  return { type: m.type, fields: m.fields.map((f) => ({ ...f, message: f.message ? cloneMessage(f.message) : undefined })) };
}
