/**
 * Reading a model file without reading its large inline tensors: the file's
 * protobuf structure is walked with positioned reads (ModelProto.graph ->
 * GraphProto.initializer -> TensorProto.raw_data), every raw_data payload of
 * at least `threshold` bytes is skipped, and the rest is decoded as usual.
 * The skipped payloads are recorded by their byte range in the file, so a
 * save can copy them from there (rewrite-file.ts) instead of faulting the
 * whole model into memory first: on a large model, first-touch page faults
 * are most of a load (bench:io).
 */
import fs from 'node:fs';
import { TreluError } from '../errors.js';
import { decodeModel } from '../onnx/decode.js';
import type { ModelProto, TensorProto } from '../onnx/proto.js';

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
// Only tags, lengths and small fields go through the window (payloads are copied straight into place): a
// 1 MiB window read 1 MiB per tensor header, 120 MiB for bench:io's model (35-48 ms walks; 64 KiB: 3-23 ms).
const WINDOW = 1 << 16;

/** A raw_data payload left in the file: bytes [offset, offset + length). */
export interface FileRange {
  offset: number;
  length: number;
}

export interface LazyDecoded {
  model: ModelProto;
  /** The initializers of model.graph whose raw_data was skipped (their rawData is empty), with where it is. */
  skipped: Map<TensorProto, FileRange>;
  /** Bytes read into memory (the structure and the small tensors). */
  bytesRead: number;
  /** The file as it was read (fstat of the descriptor the walk read through). */
  stat: { ino: number; size: number; mtimeMs: number };
}

/** The walk met something it does not take apart (a group, a malformed length): read the file the ordinary way. */
export class NotLazy extends Error {}

/** Positioned reads through a 1 MiB window, for varints and small fields. */
class Reader {
  private buf = new Uint8Array(WINDOW);
  private start = 0;
  private end = 0;

  constructor(private readonly fd: number, readonly size: number) {}

  byte(pos: number): number {
    if (pos < this.start || pos >= this.end) this.fill(pos);
    return this.buf[pos - this.start]!;
  }

  private fill(pos: number): void {
    if (pos >= this.size) throw new NotLazy(`read past the end at ${pos}`);
    const n = fs.readSync(this.fd, this.buf, 0, Math.min(WINDOW, this.size - pos), pos);
    if (n <= 0) throw new NotLazy(`the file ended at ${pos}`);
    this.start = pos;
    this.end = pos + n;
  }

  /** An unsigned varint at `pos` (at most 2^53): [value, next position]. */
  varint(pos: number): [number, number] {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte(pos++);
      value += (b & 0x7f) * scale;
      if (b < 0x80) return [value, pos];
      scale *= 128;
    }
    throw new NotLazy('a varint longer than 8 bytes');
  }

  /** Reads [pos, pos + n) into `out` at `at`. */
  copy(pos: number, n: number, out: Uint8Array, at: number): void {
    for (let done = 0; done < n;) {
      const k = fs.readSync(this.fd, out, at + done, n - done, pos + done);
      if (k <= 0) throw new NotLazy(`the file ended at ${pos + done}`);
      done += k;
    }
  }
}

/** A piece of the rebuilt message: bytes of the file, or bytes made here (tags and new lengths). */
type Part = { from: number; to: number } | Uint8Array;

function varintBytes(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Uint8Array.from(out);
}

const partSize = (parts: readonly Part[]) => parts.reduce((s, p) => s + (p instanceof Uint8Array ? p.length : p.to - p.from), 0);

function pushRange(parts: Part[], from: number, to: number): void {
  const last = parts[parts.length - 1];
  if (last && !(last instanceof Uint8Array) && last.to === from) last.to = to;
  else if (to > from) parts.push({ from, to });
}

/**
 * The message in [start, end) rebuilt: `descend(field)` names the fields whose
 * payload is itself rebuilt (by the returned function), `skip(field, from, to)`
 * drops a length-delimited field; everything else is kept byte for byte.
 */
function rebuild(r: Reader, start: number, end: number, visit: (field: number, from: number, to: number) => 'keep' | 'skip' | ((from: number, to: number) => Part[])): Part[] {
  const parts: Part[] = [];
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const [tag, afterTag] = r.varint(pos);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    let next: number;
    let payload = afterTag;
    switch (wire) {
      case 0: next = r.varint(afterTag)[1]; break;
      case 1: next = afterTag + 8; break;
      case 5: next = afterTag + 4; break;
      case 2: {
        const [len, p] = r.varint(afterTag);
        payload = p;
        next = p + len;
        break;
      }
      default: throw new NotLazy(`wire type ${wire} (groups are not taken apart)`);
    }
    if (next > end) throw new NotLazy(`field ${field} at ${fieldStart} runs past its message`);
    const action = wire === 2 ? visit(field, payload, next) : 'keep';
    if (action === 'keep') {
      pushRange(parts, fieldStart, next);
    } else if (action !== 'skip') {
      const body = action(payload, next);
      parts.push(Uint8Array.from([...varintBytes(tag), ...varintBytes(partSize(body))]));
      parts.push(...body);
    }
    pos = next;
  }
  return parts;
}

/**
 * Decodes `file` with every top-level initializer's raw_data of at least
 * `threshold` bytes left in the file (see the file comment). Throws NotLazy
 * where the walk does not apply; the caller then loads the ordinary way.
 */
export function decodeSkippingTensors(file: string, threshold: number, shown = file): LazyDecoded {
  const fd = fs.openSync(file, 'r');
  try {
    const { ino, size, mtimeMs } = fs.fstatSync(fd);
    const r = new Reader(fd, size);
    const ranges: (FileRange | undefined)[] = [];
    const tensor = (from: number, to: number): Part[] => {
      let found: FileRange | undefined;
      let rawFields = 0;
      const parts = rebuild(r, from, to, (field, a, b) => {
        if (field !== TENSOR_RAW_DATA) return 'keep';
        // protobuf's last-one-wins over several raw_data fields: not taken apart
        if (++rawFields > 1) throw new NotLazy('a tensor with two raw_data fields');
        if (b - a < threshold) return 'keep';
        found = { offset: a, length: b - a };
        return 'skip';
      });
      ranges.push(found);
      return parts;
    };
    const graph = (from: number, to: number) => rebuild(r, from, to, (field) => (field === GRAPH_INITIALIZER ? tensor : 'keep'));
    const parts = rebuild(r, 0, size, (field) => (field === MODEL_GRAPH ? graph : 'keep'));
    const bytes = new Uint8Array(partSize(parts));
    let at = 0;
    for (const p of parts) {
      if (p instanceof Uint8Array) {
        bytes.set(p, at);
        at += p.length;
      } else {
        r.copy(p.from, p.to - p.from, bytes, at);
        at += p.to - p.from;
      }
    }
    const model = decodeModel(bytes, { source: shown });
    const skipped = new Map<TensorProto, FileRange>();
    const inits = (model.graph?.initializer ?? []) as TensorProto[];
    if (inits.length !== ranges.length) throw new NotLazy(`${ranges.length} initializers walked, ${inits.length} decoded`);
    ranges.forEach((range, i) => {
      if (range) skipped.set(inits[i]!, range);
    });
    return { model, skipped, bytesRead: bytes.length, stat: { ino, size, mtimeMs } };
  } catch (e) {
    if (e instanceof NotLazy || e instanceof TreluError) throw e;
    throw new TreluError('E_READ', `${shown}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  } finally {
    fs.closeSync(fd);
  }
}
