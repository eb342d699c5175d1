/**
 * Reading input tensors for `--input name=<source>` (Node only: reads files):
 * `.npy` (numpy; float16/32/64, int32/64, bool, uint8, int8), ONNX TensorProto
 * `.pb`, inline JSON (nested arrays; float32, shape from the nesting), or
 * `random[:seed]` (the model's type and shape).
 */
import fs from 'node:fs';
import Long from 'long';
import { TreluError } from '../errors.js';
import { onnx, DataType } from '../onnx/proto.js';
import { has } from '../onnx/decode.js';
import { ONNX_TO_TENSOR_TYPE, type TensorLike } from './tensor.js';

const NPY_TYPES: Record<string, [string, number, (b: ArrayBuffer) => TensorLike['data']]> = {
  '<f2': ['float16', 2, (b) => new Uint16Array(b)],
  '<f4': ['float32', 4, (b) => new Float32Array(b)],
  '<f8': ['float64', 8, (b) => new Float64Array(b)],
  '<i4': ['int32', 4, (b) => new Int32Array(b)],
  '<i8': ['int64', 8, (b) => new BigInt64Array(b)],
  '|b1': ['bool', 1, (b) => new Uint8Array(b)],
  '|u1': ['uint8', 1, (b) => new Uint8Array(b)],
  '|i1': ['int8', 1, (b) => new Int8Array(b)],
};

/** Parses a .npy file (format versions 1–3, C order). */
export function parseNpy(bytes: Uint8Array, source = '<npy>'): TensorLike {
  const bad = (why: string): never => {
    throw new TreluError('E_DECODE', `${source}: not a readable .npy file (${why})`, { hint: 'save with numpy.save(); C order, little-endian' });
  };
  if (bytes.length < 10 || bytes[0] !== 0x93 || new TextDecoder().decode(bytes.subarray(1, 6)) !== 'NUMPY') bad('no NUMPY magic');
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) bad('header');
  if (fortran === 'True') bad('Fortran order');
  const t = (Object.hasOwn(NPY_TYPES, descr!) ? NPY_TYPES[descr!] : undefined) ?? bad(`dtype ${descr} is not supported`);
  const dims = shapeText!.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (bytes.length - dataStart < count * t[1]) bad('truncated data');
  const copy = bytes.slice(dataStart, dataStart + count * t[1]);
  return { type: t[0], data: t[2](copy.buffer), dims };
}

/** Serializes a tensor as .npy (version 1.0). */
export function toNpy(t: TensorLike): Uint8Array {
  const descr = Object.entries(NPY_TYPES).find(([, v]) => v[0] === t.type)?.[0];
  if (!descr) throw new TreluError('E_UNSUPPORTED', `cannot write ${t.type} as .npy`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = t.data as ArrayBufferView;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Reads an ONNX TensorProto (.pb) into a tensor. */
export function parseTensorProto(bytes: Uint8Array, source = '<pb>'): TensorLike {
  let t: onnx.TensorProto;
  try {
    t = onnx.TensorProto.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as onnx.TensorProto;
  } catch (e) {
    throw new TreluError('E_DECODE', `${source}: not a TensorProto (${e instanceof Error ? e.message : e})`);
  }
  const type = ONNX_TO_TENSOR_TYPE[t.dataType];
  if (!type || type === 'string') throw new TreluError('E_UNSUPPORTED', `${source}: tensor type ${t.dataType} is not supported`);
  const dims = t.dims.map((d) => Long.fromValue(d).toNumber());
  if (has(t, 'rawData')) {
    const copy = Uint8Array.prototype.slice.call(t.rawData).buffer;
    const C = { float32: Float32Array, float64: Float64Array, float16: Uint16Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array, uint16: Uint16Array, int16: Int16Array, uint32: Uint32Array, uint64: BigUint64Array }[type];
    return { type, data: new C(copy), dims };
  }
  switch (t.dataType) {
    case DataType.FLOAT: return { type, data: Float32Array.from(t.floatData), dims };
    case DataType.DOUBLE: return { type, data: Float64Array.from(t.doubleData), dims };
    case DataType.INT64: return { type, data: BigInt64Array.from(t.int64Data.map((v) => BigInt(Long.fromValue(v).toString()))), dims };
    case DataType.FLOAT16: return { type, data: Uint16Array.from(t.int32Data), dims };
    case DataType.INT32: return { type, data: Int32Array.from(t.int32Data), dims };
    case DataType.BOOL: case DataType.UINT8: return { type, data: Uint8Array.from(t.int32Data), dims };
    default: throw new TreluError('E_UNSUPPORTED', `${source}: typed-field layout for type ${t.dataType} is not supported`);
  }
}

/** Inline JSON: a number or nested arrays of numbers, read as float32. */
export function parseJsonTensor(text: string, source = '<json>'): TensorLike {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TreluError('E_USAGE', `${source}: not JSON`, { hint: 'e.g. --input x=[[1,2],[3,4]]' });
  }
  const dims: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) dims.push(v.length);
  const flat = (Array.isArray(value) ? (value as unknown[]).flat(Infinity) : [value]) as unknown[];
  if (flat.some((x) => typeof x !== 'number') || flat.length !== dims.reduce((a, b) => a * b, 1)) {
    throw new TreluError('E_USAGE', `${source}: expected a number or a rectangular array of numbers`);
  }
  return { type: 'float32', data: Float32Array.from(flat as number[]), dims };
}

/** `json`: the tensor came from inline JSON (float32 as read): buildFeeds converts it to the input's element type. */
export type InputSpec = { name: string; tensor: TensorLike; json?: boolean } | { name: string; random: number };

/** Parses `name=<file.npy|file.pb|json|random[:seed]>`. */
export function parseInputSpec(spec: string): InputSpec {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new TreluError('E_USAGE', `--input '${spec}' is not name=source`, { hint: 'e.g. --input x=x.npy, --input x=random:7, --input x=[1,2,3]' });
  const name = spec.slice(0, eq);
  const source = spec.slice(eq + 1);
  const random = /^random(?::(\d+))?$/.exec(source);
  if (random) return { name, random: Number(random[1] ?? 0) };
  // JSON only when it looks like JSON (an array, or a number) and names no file: ./x.npy and ../x.npy are files
  const looksJson = /^\s*\[/.test(source) || /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(source);
  if (looksJson && !fs.existsSync(source)) return { name, tensor: parseJsonTensor(source, `--input ${name}`), json: true };
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(source));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TreluError('E_FILE_NOT_FOUND', `${source}: cannot read input file for '${name}'${code === 'EISDIR' ? ' (a directory)' : code === 'EACCES' ? ' (permission denied)' : code === 'ENOENT' ? ' (no such file)' : ''}`, { hint: 'give a .npy or .pb file, inline JSON such as [1,2,3], or random[:seed]' });
  }
  if (source.endsWith('.npy')) return { name, tensor: parseNpy(bytes, source) };
  if (source.endsWith('.pb')) return { name, tensor: parseTensorProto(bytes, source) };
  throw new TreluError('E_USAGE', `${source}: unknown input format`, { hint: 'use .npy, .pb, inline JSON, or random[:seed]' });
}
