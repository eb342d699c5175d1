/**
 * A minimal safetensors reader and writer (https://github.com/huggingface/safetensors):
 * 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`,
 * then the tensor bytes. Used to convert ORT checkpoints to and from the
 * format torch (`safetensors.torch.load_file`) and most tools read.
 * Browser-safe. (The training helper i13 may ship its own; this one stays
 * small and checks every offset.)
 */
import { TreluError } from '../../errors.js';
import { DataType } from '../../onnx/proto.js';
import { dataTypeName } from '../../onnx/dtypes.js';
import type { CheckpointTensor } from './checkpoint.js';

const DTYPES: Record<string, number> = {
  F32: DataType.FLOAT, F64: DataType.DOUBLE, F16: DataType.FLOAT16, BF16: DataType.BFLOAT16,
  I64: DataType.INT64, I32: DataType.INT32, I16: DataType.INT16, I8: DataType.INT8,
  U8: DataType.UINT8, U16: DataType.UINT16, U32: DataType.UINT32, U64: DataType.UINT64, BOOL: DataType.BOOL,
};
const BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, U16: 2, U32: 4, U64: 8, BOOL: 1 };
const NAMES = new Map(Object.entries(DTYPES).map(([k, v]) => [v, k]));
/** The reference implementation's limit on the header (100 MB). */
const MAX_HEADER = 100_000_000;

export interface SafetensorsFile {
  tensors: CheckpointTensor[];
  metadata: Record<string, string>;
}

/** True when the bytes start like a safetensors file (a plausible header length, then '{'). */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > 1n && n <= BigInt(Math.min(MAX_HEADER, bytes.length - 8)) && bytes[8] === 0x7b;
}

export function readSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  const bad = (what: string): never => {
    throw new TreluError('E_DECODE', `${source}: not a valid safetensors file (${what})`);
  };
  if (bytes.length < 8) bad('shorter than its 8-byte header length');
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > bytes.length) bad(`header of ${n} bytes in a ${bytes.length}-byte file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    bad('header is not JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) bad('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: CheckpointTensor[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!entry || typeof entry !== 'object') bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') bad(`metadata '${k}' is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e?.dtype !== 'string' || !(e.dtype in DTYPES)) bad(`tensor '${name}' has dtype ${JSON.stringify(e?.dtype)}`);
    const dtype = e.dtype as string;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(`tensor '${name}' has shape ${JSON.stringify(e.shape)}`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    const shape = e.shape as number[];
    const expected = shape.reduce((a, b) => a * b, 1) * BYTES[dtype]!;
    if (end < begin || end > dataLength) bad(`tensor '${name}' data [${begin}, ${end}) lies outside the ${dataLength} data bytes`);
    if (end - begin !== expected) bad(`tensor '${name}' has ${end - begin} bytes for ${dtype}[${shape.join(',')}] (${expected} expected)`);
    tensors.push({ name, dataType: DTYPES[dtype]!, dims: [...shape], data: bytes.slice(dataStart + begin, dataStart + end) });
  }
  return { tensors, metadata };
}

/** Tensors in the given order, each 8-byte aligned in the data section (as the reference writer pads the header). */
export function writeSafetensors(file: SafetensorsFile): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(file.metadata).length) header.__metadata__ = file.metadata;
  let offset = 0;
  for (const t of file.tensors) {
    const dtype = NAMES.get(t.dataType);
    if (!dtype) throw new TreluError('E_UNSUPPORTED', `tensor '${t.name}': ${dataTypeName(t.dataType)} has no safetensors dtype`);
    if (t.name in header) throw new TreluError('E_USAGE', `tensor '${t.name}' appears twice`);
    header[t.name] = { dtype, shape: t.dims, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of file.tensors) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return out;
}
