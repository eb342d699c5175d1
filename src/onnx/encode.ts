/**
 * ModelProto → bytes.
 *
 * `encodeModel` is the plain protobufjs static encoder: one buffer, fine for
 * models of a few hundred MB at most. `encodeModelChunked` produces the same
 * bytes as a sequence of chunks without building one giant buffer: large
 * `bytes` fields (tensor `raw_data`) are handed to the sink as the very views
 * they were decoded into, and everything else goes through a small staging
 * buffer. It walks the schema's field table (generated from the same .proto as
 * the static code) to compute message sizes up front, then emits in field
 * number order, exactly as the static encoder does; small sub-messages are
 * delegated to the static encoder itself.
 */
import $protobuf from 'protobufjs/minimal.js';
import { TreluError } from '../errors.js';
import { onnx, type ModelProto } from './proto.js';
import { FIELDS, type FieldInfo } from './generated/fields.js';
import { has } from './decode.js';
import { wireType } from './wire.js';

type Writer = $protobuf.Writer;
type Message = Record<string, unknown> & { $unknowns?: Uint8Array[] };
type StaticCodec = { encode(message: object, writer: Writer): Writer };

/** protobuf's limit for one serialized message; larger models need external data. */
export const MAX_PROTO_BYTES = 2 ** 31 - 1;

export function encodeModel(model: ModelProto): Uint8Array {
  const size = encodedSize(model);
  if (size > MAX_PROTO_BYTES) throw tooLarge(size);
  return onnx.ModelProto.encode(model).finish();
}

export interface ChunkedEncodeOptions {
  /** bytes fields at least this long are passed to the sink as views, never copied. Default 64 KiB. */
  blobThreshold?: number;
  /** Sub-messages up to this size are encoded by the static encoder. Default 64 KiB. */
  staticThreshold?: number;
  /** The staging buffer is flushed to the sink when it grows past this. Default 1 MiB. */
  flushThreshold?: number;
}

/**
 * Encodes `model` into `sink`, chunk by chunk, in order. The concatenation of
 * the chunks equals `encodeModel(model)`. Chunks may be views into the model's
 * own buffers: the sink must consume (write, copy) them before the model changes.
 */
export function encodeModelChunked(model: ModelProto, sink: (chunk: Uint8Array) => void, options: ChunkedEncodeOptions = {}): number {
  const enc = new ChunkedEncoder(sink, options);
  const size = enc.sizeOf('ModelProto', model as unknown as Message);
  if (size > MAX_PROTO_BYTES) throw tooLarge(size);
  enc.emit('ModelProto', model as unknown as Message);
  enc.flush();
  return size;
}

/** The exact serialized size of `model`, computed without encoding it. */
export function encodedSize(model: ModelProto): number {
  return new ChunkedEncoder(() => undefined, {}).sizeOf('ModelProto', model as unknown as Message);
}

function tooLarge(size: number): TreluError {
  return new TreluError('E_TOO_LARGE', `the model would serialize to ${size} bytes, over protobuf's 2 GiB limit`, {
    hint: 'store the tensors as external data (trelu convert --external-data <file>)',
  });
}

const staticCodecs = new Map<string, StaticCodec>();
function staticCodec(type: string): StaticCodec {
  let codec = staticCodecs.get(type);
  if (!codec) {
    codec = type.split('.').reduce<unknown>((ns, key) => (ns as Record<string, unknown>)[key], onnx) as StaticCodec;
    staticCodecs.set(type, codec);
  }
  return codec;
}


function varint32Size(n: number): number {
  n >>>= 0;
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function varint64Size(value: unknown): number {
  const bits = $protobuf.util.LongBits.from(value as number);
  let lo = bits.lo >>> 0;
  let hi = bits.hi >>> 0;
  let n = 1;
  while (hi) {
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
    n++;
  }
  while (lo > 127) {
    lo >>>= 7;
    n++;
  }
  return n;
}

function int32Size(v: number): number {
  return (v | 0) < 0 ? 10 : varint32Size(v);
}

/** Size of one scalar value's payload (no tag). */
function scalarSize(type: string, v: unknown): number {
  switch (type) {
    case 'float': case 'fixed32': case 'sfixed32': return 4;
    case 'double': case 'fixed64': case 'sfixed64': return 8;
    case 'bool': return 1;
    case 'int32': case 'enum': return int32Size(v as number);
    case 'uint32': return varint32Size(v as number);
    case 'int64': case 'uint64': return varint64Size(v);
    case 'string': { const n = $protobuf.util.utf8.length(v as string); return varint32Size(n) + n; }
    case 'bytes': { const n = (v as Uint8Array).length; return varint32Size(n) + n; }
    default: throw new Error(`chunked encoder: unsupported field type ${type}`);
  }
}

const PACKED_WRITERS: Record<string, string> = { float: 'floats', double: 'doubles', int32: 'int32s', enum: 'int32s', int64: 'int64s', uint64: 'uint64s', uint32: 'uint32s', bool: 'bools' };
const SCALAR_WRITERS: Record<string, string> = { enum: 'int32' };

class ChunkedEncoder {
  private readonly sizes = new WeakMap<object, number>();
  private writer: Writer = $protobuf.Writer.create();
  private readonly blobThreshold: number;
  private readonly staticThreshold: number;
  private readonly flushThreshold: number;

  constructor(private readonly sink: (chunk: Uint8Array) => void, options: ChunkedEncodeOptions) {
    this.blobThreshold = options.blobThreshold ?? 64 * 1024;
    this.staticThreshold = options.staticThreshold ?? 64 * 1024;
    this.flushThreshold = options.flushThreshold ?? 1024 * 1024;
  }

  sizeOf(type: string, msg: Message): number {
    const cached = this.sizes.get(msg);
    if (cached !== undefined) return cached;
    let size = 0;
    for (const f of FIELDS[type]!) {
      const v = msg[f.name];
      const tag = varint32Size((f.id << 3) | wireType(f));
      if (f.repeated) {
        const arr = v as unknown[] | null | undefined;
        if (arr == null || !arr.length) continue;
        if (f.packed) {
          const payload = this.packedPayloadSize(f, arr);
          size += tag + varint32Size(payload) + payload;
        } else {
          for (const item of arr) size += tag + this.valueSize(f, item);
        }
      } else if (v != null && Object.prototype.hasOwnProperty.call(msg, f.name)) {
        size += tag + this.valueSize(f, v);
      }
    }
    if (msg.$unknowns != null && has(msg, '$unknowns')) for (const u of msg.$unknowns) size += u.length;
    this.sizes.set(msg, size);
    return size;
  }

  private valueSize(f: FieldInfo, v: unknown): number {
    if (f.type === 'message') {
      const n = this.sizeOf(f.message!, v as Message);
      return varint32Size(n) + n;
    }
    return scalarSize(f.type, v);
  }

  private packedPayloadSize(f: FieldInfo, arr: unknown[]): number {
    switch (f.type) {
      case 'float': return 4 * arr.length;
      case 'double': return 8 * arr.length;
      case 'bool': return arr.length;
      default: {
        let n = 0;
        for (const item of arr) n += scalarSize(f.type, item);
        return n;
      }
    }
  }

  emit(type: string, msg: Message): void {
    if (this.sizeOf(type, msg) <= this.staticThreshold) {
      staticCodec(type).encode(msg, this.writer);
      this.maybeFlush();
      return;
    }
    const w = this.writer as unknown as Record<string, (v: unknown) => Writer>;
    for (const f of FIELDS[type]!) {
      const v = msg[f.name];
      const tag = (f.id << 3) | wireType(f);
      if (f.repeated) {
        const arr = v as unknown[] | null | undefined;
        if (arr == null || !arr.length) continue;
        if (f.packed) {
          this.writer.uint32(tag);
          w[PACKED_WRITERS[f.type]!]!.call(this.writer, arr);
        } else {
          for (const item of arr) this.emitValue(f, tag, item);
        }
      } else if (v != null && Object.prototype.hasOwnProperty.call(msg, f.name)) {
        this.emitValue(f, tag, v);
      }
      this.maybeFlush();
    }
    if (msg.$unknowns != null && has(msg, '$unknowns')) for (const u of msg.$unknowns) this.writer.raw(u);
  }

  private emitValue(f: FieldInfo, tag: number, v: unknown): void {
    this.writer.uint32(tag);
    if (f.type === 'message') {
      const sub = v as Message;
      this.writer.uint32(this.sizeOf(f.message!, sub));
      this.emit(f.message!, sub);
    } else if (f.type === 'bytes' && (v as Uint8Array).length >= this.blobThreshold) {
      const bytes = v as Uint8Array;
      this.writer.uint32(bytes.length);
      this.flush();
      this.sink(bytes);
    } else {
      const method = SCALAR_WRITERS[f.type] ?? f.type;
      (this.writer as unknown as Record<string, (v: unknown) => Writer>)[method]!.call(this.writer, v);
    }
  }

  private maybeFlush(): void {
    if (this.writer.pos >= this.flushThreshold) this.flush();
  }

  flush(): void {
    if (this.writer.pos === 0) return;
    this.sink(this.writer.finish());
    this.writer = $protobuf.Writer.create();
  }
}
