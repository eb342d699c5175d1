/**
 * The safetensors format (huggingface/safetensors), written and read here
 * (it is small): an 8-byte little-endian header length n, n bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__: { string: string } }`
 * (padded with spaces to a multiple of 8), then the tensors' bytes,
 * little-endian, offsets relative to the end of the header. torch reads it
 * with `safetensors.torch.load_file` or a few lines of numpy.
 */
import { TreluError } from '../../errors.js';

export interface NamedTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array;
}

const DTYPES: Record<string, { code: string; ctor: new (b: ArrayBuffer, o: number, n: number) => NamedTensor['data']; size: number }> = {
  Float32Array: { code: 'F32', ctor: Float32Array, size: 4 },
  Float64Array: { code: 'F64', ctor: Float64Array, size: 8 },
  BigInt64Array: { code: 'I64', ctor: BigInt64Array, size: 8 },
  Int32Array: { code: 'I32', ctor: Int32Array, size: 4 },
};
const BY_CODE = Object.fromEntries(Object.values(DTYPES).map((d) => [d.code, d]));

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const d = DTYPES[t.data.constructor.name];
    if (!d) throw new TreluError('E_UNSUPPORTED', `safetensors: tensor '${t.name}' has an unsupported type`);
    if (t.name === '__metadata__' || t.name in header) throw new TreluError('E_USAGE', `safetensors: duplicate or reserved tensor name '${t.name}'`);
    const count = t.dims.reduce((a, x) => a * x, 1);
    if (count !== t.data.length) throw new TreluError('E_USAGE', `safetensors: tensor '${t.name}' has ${t.data.length} values for shape [${t.dims.join(',')}]`);
    header[t.name] = { dtype: d.code, shape: [...t.dims], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export interface Safetensors {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

/** Parses and checks a safetensors file: a truncated or malformed one is a TreluError('E_CHECKPOINT'). */
export function decodeSafetensors(bytes: Uint8Array, source = '<safetensors>'): Safetensors {
  const fail = (why: string): never => { throw new TreluError('E_CHECKPOINT', `${source}: not a valid safetensors file (${why})`, { hint: 'the file may be truncated or from another program; use an earlier checkpoint' }); };
  if (bytes.length < 8) fail('shorter than its 8-byte header length');
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.length - 8 || n > 100_000_000) fail(`header of ${n} bytes in a ${bytes.length}-byte file`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    return fail('its header is not JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('its header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  if (typeof metadata !== 'object' || Object.values(metadata).some((v) => typeof v !== 'string')) fail('__metadata__ is not a map of strings');
  const tensors = new Map<string, NamedTensor>();
  let end = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const d = Object.hasOwn(BY_CODE, e.dtype) ? BY_CODE[e.dtype] : undefined; // the header is file data: 'constructor' is a string too
    if (!d) fail(`tensor '${name}' has dtype ${e.dtype}, which onnx-trelu does not read`);
    if (!Array.isArray(e.shape) || !e.shape.every((x) => Number.isInteger(x) && x >= 0)) fail(`tensor '${name}' has a bad shape`);
    const [begin, stop] = e.data_offsets ?? [];
    const count = e.shape.reduce((a, x) => a * x, 1);
    if (!Number.isInteger(begin) || !Number.isInteger(stop) || begin! < 0 || stop! < begin! || stop! - begin! !== count * d!.size) fail(`tensor '${name}' has bad data offsets`);
    if (stop! > dataLength) fail(`tensor '${name}' ends at byte ${stop} of ${dataLength} (truncated)`);
    end = Math.max(end, stop!);
    // Uint8Array.prototype.slice copies, also for a Node Buffer (whose own slice is a view into its pool).
    const copy = Uint8Array.prototype.slice.call(bytes, dataStart + begin!, dataStart + stop!);
    tensors.set(name, { name, dims: e.shape, data: new d!.ctor(copy.buffer, 0, count) });
  }
  if (end !== dataLength) fail(`${dataLength - end} bytes after the last tensor`);
  return { tensors, metadata };
}
