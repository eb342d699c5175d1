/**
 * Reading training data: `.npz` (numpy's zip of .npy files: `x`/`y`, or the
 * first two arrays), a pair `x.npy,y.npy`, or CSV (optionally gzipped; a
 * header row is skipped; `--label` names the label column, by name or
 * index, default the last). Errors are one line naming the file.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { TreluError } from '../errors.js';
import { parseNpy } from '../runtime/inputs.js';
import type { TensorLike } from '../runtime/tensor.js';

export interface RawData {
  x: { data: ArrayLike<number>; dims: number[] };
  y: { data: ArrayLike<number | bigint>; dims: number[] };
  source: string;
}

function read(file: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TreluError(code === 'ENOENT' ? 'E_FILE_NOT_FOUND' : 'E_READ', `${file}: cannot read (${code})`);
  }
}

const asRaw = (t: TensorLike) => ({ data: t.data as ArrayLike<number>, dims: [...t.dims] });

export function readData(spec: string, label?: string): RawData {
  const pair = spec.split(',');
  if (pair.length === 2) {
    const [xf, yf] = pair as [string, string];
    return { x: asRaw(parseNpy(read(xf), xf)), y: asRaw(parseNpy(read(yf), yf)), source: spec };
  }
  if (/\.npz$/i.test(spec)) {
    const arrays = readNpz(read(spec), spec);
    const x = arrays.get('x') ?? arrays.get('X') ?? arrays.get('data') ?? arrays.get('inputs') ?? [...arrays.values()][0];
    const y = arrays.get('y') ?? arrays.get('labels') ?? arrays.get('targets') ?? [...arrays.values()].find((v) => v !== x);
    if (!x || !y) throw new TreluError('E_DATA', `${spec}: needs two arrays (x and y), has ${[...arrays.keys()].join(', ') || 'none'}`);
    return { x: asRaw(x), y: asRaw(y), source: spec };
  }
  if (/\.csv(\.gz)?$/i.test(spec)) return readCsv(spec, label);
  if (/\.npy$/i.test(spec)) throw new TreluError('E_USAGE', `${spec}: a single .npy holds no labels`, { hint: 'give --data x.npy,y.npy' });
  throw new TreluError('E_USAGE', `${spec}: not .npz, .npy,.npy or .csv(.gz)`);
}

function readCsv(file: string, label?: string): RawData {
  let bytes = read(file);
  if (/\.gz$/i.test(file)) {
    try {
      bytes = new Uint8Array(zlib.gunzipSync(bytes));
    } catch {
      throw new TreluError('E_DATA', `${file}: not a valid gzip file`);
    }
  }
  const lines = new TextDecoder().decode(bytes).split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new TreluError('E_DATA', `${file}: empty`);
  let header: string[] | undefined;
  const first = lines[0]!.split(',');
  if (first.some((c) => c.trim() !== '' && Number.isNaN(Number(c)) && !/^nan$/i.test(c.trim()))) {
    header = first.map((c) => c.trim());
    lines.shift();
  }
  const cols = header?.length ?? first.length;
  let li = cols - 1;
  if (label !== undefined) {
    li = header?.indexOf(label) ?? -1;
    if (li < 0) li = /^\d+$/.test(label) ? Number(label) : -1;
    if (li < 0 || li >= cols) throw new TreluError('E_USAGE', `${file}: no column '${label}'`, { hint: header ? `columns: ${header.join(', ')}` : `columns are 0..${cols - 1}` });
  }
  const n = lines.length;
  const x = new Float64Array(n * (cols - 1));
  const y = new Float64Array(n);
  lines.forEach((line, r) => {
    const cells = line.split(',');
    if (cells.length !== cols) throw new TreluError('E_DATA', `${file}: line ${r + (header ? 2 : 1)} has ${cells.length} columns, not ${cols}`);
    let k = 0;
    cells.forEach((c, j) => {
      const v = Number(c.trim() === '' ? NaN : c);
      if (j === li) y[r] = v;
      else x[r * (cols - 1) + k++] = v;
    });
  });
  return { x: { data: x, dims: [n, cols - 1] }, y: { data: y, dims: [n] }, source: file };
}

/** The arrays of an .npz (stored or deflated entries; no ZIP64). */
export function readNpz(bytes: Uint8Array, source: string): Map<string, TensorLike> {
  const fail = (why: string): never => { throw new TreluError('E_DATA', `${source}: not a readable .npz (${why})`); };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) if (view.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) fail('no zip directory');
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const out = new Map<string, TensorLike>();
  for (let e = 0; e < entries; e++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) fail('bad directory entry');
    const method = view.getUint16(p + 10, true);
    const csize = view.getUint32(p + 20, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (csize === 0xffffffff || local === 0xffffffff) fail('ZIP64 is not supported');
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) fail(`bad local header for ${name}`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + csize > bytes.length) fail(`${name} is truncated`);
    const raw = bytes.subarray(start, start + csize);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = new Uint8Array(zlib.inflateRawSync(raw));
      } catch {
        return fail(`${name} does not inflate`);
      }
    } else return fail(`${name} uses compression method ${method}`);
    out.set(name.replace(/\.npy$/, ''), parseNpy(data, `${source}:${name}`));
  }
  return out;
}
