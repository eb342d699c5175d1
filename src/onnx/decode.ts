/**
 * Bytes → ModelProto, with the checks that tell "not an ONNX model" apart
 * from "a model" (protobuf happily decodes many byte strings as *something*).
 */
import $protobuf from 'protobufjs/minimal.js';
import { TreluError } from '../errors.js';
import { onnx, type ModelProto } from './proto.js';
import { FIELDS } from './generated/fields.js';
import { wireType } from './wire.js';

export interface DecodeOptions {
  /** Shown in error messages, e.g. the file name. */
  source?: string;
}

/**
 * Decodes a serialized ModelProto. Unknown fields are preserved (see proto.ts),
 * bytes fields are views into `bytes`, so keep `bytes` alive and unmodified
 * while the model is in use.
 *
 * Throws TreluError E_DECODE for bytes that are not protobuf, E_NOT_A_MODEL for
 * protobuf that is not an ONNX model.
 */
export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): ModelProto {
  const source = options.source ?? '<bytes>';
  if (bytes.length === 0) {
    throw new TreluError('E_NOT_A_MODEL', `${source}: the file is empty`, { hint: 'expected an ONNX model (.onnx)' });
  }
  // A Node Buffer would make every bytes field a Buffer, whose slice() does not copy: decode plain Uint8Array views.
  if (bytes.constructor !== Uint8Array) bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let model: ModelProto;
  try {
    const reader = $protobuf.Reader.create(bytes);
    reader.discardUnknown = false;
    model = onnx.ModelProto.decode(reader);
  } catch (e) {
    if (e instanceof Error && e.message === 'max depth exceeded') {
      throw new TreluError('E_LIMIT', `${source}: messages nested deeper than protobuf's limit of ${$protobuf.util.recursionLimit} levels (subgraphs nested deeper than ${MAX_SUBGRAPH_DEPTH} levels are refused)`, {
        hint: 'flatten the nested If/Loop/Scan bodies', cause: e,
      });
    }
    if (isWellFormedMessage(bytes)) {
      throw new TreluError('E_NOT_A_MODEL', `${source}: valid protobuf, but not an ONNX model (${describeDecodeError(e)} when read as a ModelProto)`, {
        hint: 'expected a ModelProto; .pb files of the ONNX test corpus are TensorProtos, not models',
        cause: e,
      });
    }
    throw new TreluError('E_DECODE', `${source}: not a valid protobuf message (${describeDecodeError(e)})`, {
      hint: 'the file is truncated or is not an ONNX model',
      cause: e,
    });
  }
  checkLooksLikeModel(model, source);
  checkSubgraphDepth(model, source);
  return model;
}

/**
 * If/Loop/Scan bodies nested up to this deep are accepted; deeper is E_LIMIT.
 * Our own limit, well below protobufjs's recursion limit (100 messages, which
 * subgraphs reach at 33 levels: Graph, Node, Attribute per level), so that the
 * message names the real cause and every recursive pass after decode has room.
 */
export const MAX_SUBGRAPH_DEPTH = 16;

function checkSubgraphDepth(model: ModelProto, source: string): void {
  const graphs = (g: onnx.IGraphProto | null | undefined, depth: number): void => {
    if (!g) return;
    if (depth > MAX_SUBGRAPH_DEPTH) {
      throw new TreluError('E_LIMIT', `${source}: subgraphs nested deeper than ${MAX_SUBGRAPH_DEPTH} levels`, { hint: 'flatten the nested If/Loop/Scan bodies' });
    }
    for (const n of g.node ?? []) nodes(n, depth);
  };
  const nodes = (n: onnx.INodeProto, depth: number): void => {
    for (const a of n.attribute ?? []) {
      graphs(a.g, depth + 1);
      for (const sub of a.graphs ?? []) graphs(sub, depth + 1);
    }
  };
  graphs(model.graph, 0);
  for (const f of model.functions ?? []) for (const n of f.node ?? []) nodes(n, 0);
}

/** Whether `bytes` parse as a sequence of protobuf fields at the top level (no schema needed). */
function isWellFormedMessage(bytes: Uint8Array): boolean {
  let pos = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= bytes.length) return undefined;
      const b = bytes[pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === undefined || tag < 8) return false;
    switch (tag % 8) {
      case 0: if (varint() === undefined) return false; break;
      case 1: pos += 8; break;
      case 2: { const n = varint(); if (n === undefined) return false; pos += n; break; }
      case 5: pos += 4; break;
      default: return false;
    }
    if (pos > bytes.length) return false;
  }
  return true;
}

function describeDecodeError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s+/g, ' ').slice(0, 120);
}

const MODEL_FIELD_WIRE_TYPES = new Map<number, number>(
  FIELDS.ModelProto!.map((f) => [f.id, wireType(f)]),
);

function checkLooksLikeModel(model: ModelProto, source: string): void {
  const notAModel = (why: string): never => {
    throw new TreluError('E_NOT_A_MODEL', `${source}: valid protobuf, but not an ONNX model (${why})`, {
      hint: 'expected a ModelProto; .pb files of the ONNX test corpus are TensorProtos, not models',
    });
  };
  // A known field number arriving with the wrong wire type means the bytes were
  // written from another message type (a TensorProto, say) and landed here.
  for (const raw of model.$unknowns ?? []) {
    const { id, wireType } = readTag(raw);
    const expected = MODEL_FIELD_WIRE_TYPES.get(id);
    if (expected !== undefined && expected !== wireType) notAModel(`field ${id} has wire type ${wireType}, expected ${expected}`);
  }
  if (!has(model, 'irVersion')) notAModel('no ir_version');
  if (!has(model, 'graph') && !(model.functions?.length)) notAModel('no graph');
}

function readTag(raw: Uint8Array): { id: number; wireType: number } {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < raw.length && i < 5; i++) {
    value += (raw[i]! & 0x7f) * 2 ** shift;
    if ((raw[i]! & 0x80) === 0) break;
    shift += 7;
  }
  return { id: Math.floor(value / 8), wireType: value % 8 };
}

/** Whether an optional field is present (set on the message itself, not the prototype default). */
export function has<T extends object>(message: T, field: keyof T & string): boolean {
  return (message as Record<string, unknown>)[field] != null && Object.prototype.hasOwnProperty.call(message, field);
}
