/**
 * loadModelFile(file, { lazyTensors: true }): the large inline tensors'
 * raw_data is read from the file only when code asks for it. Each such
 * tensor's `rawData` is an accessor: the first read fetches the bytes with one
 * positioned read (and they are then an ordinary field), an assignment
 * replaces them without reading. A save that meets a tensor still unread
 * copies its bytes from the file (256 KiB at a time) instead of faulting the
 * whole model into memory first: on bench:io's 480 MiB model a load + save
 * then costs about a `cp` (see README "Model I/O").
 *
 * The price: the model depends on its file until every lazy tensor is read or
 * saved. Every read and every copy checks that the file is the one that was
 * loaded (same inode, size and mtime) and refuses it otherwise (E_READ): a
 * file replaced by a rename, deleted, or written in place is never read as if
 * it were the model's. (A same-size in-place write within the file system's
 * timestamp granularity is not seen; mmap-based loaders share that limit.)
 *
 * Clones made with cloneShallow (walk.ts) keep the accessor and share the
 * bytes once read.
 */
import fs from 'node:fs';
import { TreluError } from '../errors.js';
import { forEachMessage, mapMessages, cloneShallow } from '../onnx/walk.js';
import type { ModelProto, TensorProto } from '../onnx/proto.js';
import { COPY_CHUNK } from './file-io.js';

/**
 * Where a lazy tensor's bytes are: [offset, offset + length) of `path`, as
 * `stat` had it at load time. A save that replaces that file (allowOverwriteInput)
 * moves the slot to where it wrote the same bytes (repoint).
 */
export interface LazyBytes {
  path: string;
  /** The file's name as the caller gave it, for messages. */
  readonly shown: string;
  stat: FileIdentity;
  offset: number;
  readonly length: number;
  /** The bytes, once read (shared by the tensor and its clones). */
  bytes?: Uint8Array;
}

export interface FileIdentity {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

const LAZY = Symbol('onnx-trelu.lazyRawData');

type Lazy = TensorProto & { [LAZY]?: LazyBytes };

/** Makes `t.rawData` read `slot` on first use (see the file comment). */
export function makeLazy(t: TensorProto, slot: LazyBytes): void {
  Object.defineProperty(t, 'rawData', {
    configurable: true,
    enumerable: true,
    get(this: Lazy) {
      const bytes = (slot.bytes ??= readLazyBytes(slot));
      settle(this, bytes);
      return bytes;
    },
    set(this: Lazy, value: Uint8Array) {
      settle(this, value);
    },
  });
  Object.defineProperty(t, LAZY, { value: slot, configurable: true, enumerable: false });
}

/** rawData becomes an ordinary field holding `value`. */
function settle(t: Lazy, value: Uint8Array): void {
  Object.defineProperty(t, 'rawData', { value, writable: true, enumerable: true, configurable: true });
  delete t[LAZY];
}

/** `t` (a clone about to get other contents) without the accessor and the slot: rawData is then the prototype's empty default. */
export function forgetLazy(t: TensorProto): void {
  if (!(t as Lazy)[LAZY]) return;
  delete (t as Partial<TensorProto>).rawData;
  delete (t as Lazy)[LAZY];
}

/** The file range behind `t.rawData` when it has not been read nor replaced, else undefined. */
export function lazyBytesOf(t: TensorProto): LazyBytes | undefined {
  return (t as Lazy)[LAZY];
}

/** Opens the file of `slot` and checks it is the one loaded; the caller closes the fd. */
export function openLazyFile(slot: LazyBytes): number {
  let fd: number;
  try {
    fd = fs.openSync(slot.path, 'r');
  } catch (e) {
    throw changed(slot, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it is gone' : `it cannot be opened (${(e as NodeJS.ErrnoException).code ?? String(e)})`, e);
  }
  try {
    checkUnchanged(fd, slot);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  return fd;
}

/** Throws E_READ when the file open at `fd` is not the one `slot` was loaded from. */
export function checkUnchanged(fd: number, slot: LazyBytes): void {
  const now = fs.fstatSync(fd);
  if (now.ino !== slot.stat.ino || now.size !== slot.stat.size || now.mtimeMs !== slot.stat.mtimeMs) {
    throw changed(slot, now.ino !== slot.stat.ino ? 'it was replaced' : 'it was written to');
  }
}

function changed(slot: LazyBytes, why: string, cause?: unknown): TreluError {
  return new TreluError('E_READ', `${slot.shown}: changed since it was loaded (${why}), and some tensors were left in it (lazyTensors)`, {
    hint: 'load the model again; or load it without lazyTensors, which reads every tensor at once', cause,
  });
}

function readLazyBytes(slot: LazyBytes): Uint8Array {
  const out = new Uint8Array(slot.length);
  const fd = openLazyFile(slot);
  try {
    for (let done = 0; done < slot.length;) done += readAt(fd, slot, out, done, slot.length - done);
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

/** Reads up to `n` bytes of the slot's range after its first `done` into `into` at `at`; at least one. */
export function readAt(fd: number, slot: LazyBytes, into: Uint8Array, done: number, n: number, at = done): number {
  let k: number;
  try {
    k = fs.readSync(fd, into, at, Math.min(n, 1 << 30), slot.offset + done);
  } catch (e) {
    throw new TreluError('E_READ', `${slot.shown}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)}) a tensor left in the file`, { cause: e });
  }
  if (k <= 0) throw changed(slot, `it ends before byte ${slot.offset + done}`);
  return k;
}

/**
 * Copies lazy tensors' bytes from their files for a save: `copy(slot, write)`
 * writes the slot's bytes through one reused COPY_CHUNK buffer (the cached
 * bytes when some code read them meanwhile); `close()` closes the files.
 * Each file is opened (and checked unchanged) once, and checked again at the end.
 */
export class LazyCopier {
  private readonly fds = new Map<string, { fd: number; slot: LazyBytes }>();
  private scratch: Uint8Array | undefined;

  /** The slot's bytes, piece by piece, each handed to `write` before the next is read. */
  *pieces(slot: LazyBytes): Generator<Uint8Array> {
    if (slot.bytes) {
      yield slot.bytes;
      return;
    }
    const fd = this.fdOf(slot);
    const scratch = (this.scratch ??= new Uint8Array(COPY_CHUNK));
    for (let done = 0; done < slot.length;) {
      const n = readAt(fd, slot, scratch, done, Math.min(scratch.length, slot.length - done), 0);
      yield scratch.subarray(0, n);
      done += n;
    }
  }

  private fdOf(slot: LazyBytes): number {
    // by identity, not path: two loads of one path may have seen two different files
    const key = `${slot.stat.ino}:${slot.stat.size}:${slot.stat.mtimeMs}:${slot.path}`;
    const open = this.fds.get(key);
    if (open) return open.fd;
    const fd = openLazyFile(slot);
    this.fds.set(key, { fd, slot });
    return fd;
  }

  /** Every file copied from is still the one loaded (a write during the copy would have mixed old and new bytes). */
  checkUnchanged(): void {
    for (const { fd, slot } of this.fds.values()) checkUnchanged(fd, slot);
  }

  close(): void {
    for (const { fd } of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }
}

/** A model ready to encode whose unread lazy tensors are placeholders: see withPlaceholders. */
export interface Placeholders {
  readonly model: ModelProto;
  /** The slot a chunk of the encoder stands for (the placeholder views themselves), or undefined. */
  readonly slots: WeakMap<Uint8Array, LazyBytes>;
  /** How many placeholders: the save checks it filled every one (a missed one would be zeros). */
  readonly count: number;
}

/**
 * `model` with every lazy tensor replaced by a clone whose rawData is a
 * placeholder of the right length (a view of one zero buffer, never written
 * nor read: the encoder hands views of 64 KiB and more on as they are), or
 * the bytes themselves where code read them meanwhile; undefined when the
 * model has no lazy tensor. Reads nothing from the files.
 */
export function withPlaceholders(model: ModelProto): Placeholders | undefined {
  let longest = -1;
  forEachMessage('ModelProto', model, 'TensorProto', (m) => {
    const slot = lazyBytesOf(m as unknown as TensorProto);
    if (slot && !slot.bytes) longest = Math.max(longest, slot.length);
  });
  if (longest < 0) return undefined;
  const zeros = new ArrayBuffer(longest);
  const slots = new WeakMap<Uint8Array, LazyBytes>();
  let count = 0;
  const out = mapMessages('ModelProto', model, 'TensorProto', (m) => {
    const slot = lazyBytesOf(m as unknown as TensorProto);
    if (!slot) return m;
    const clone = cloneShallow(m) as unknown as TensorProto;
    if (slot.bytes) {
      clone.rawData = slot.bytes; // the setter makes it an ordinary field of the clone only
    } else {
      const view = new Uint8Array(zeros, 0, slot.length);
      slots.set(view, slot);
      count++;
      clone.rawData = view;
    }
    return clone as unknown as Record<string, unknown>;
  });
  return { model: out, slots, count };
}

/**
 * After a save that replaced `slot`'s own file (allowOverwriteInput), the
 * slot points at the same bytes in the new file, `offset` there: the model
 * that was saved stays readable.
 */
export function repoint(slot: LazyBytes, path: string, stat: FileIdentity, offset: number): void {
  slot.path = path;
  slot.stat = stat;
  slot.offset = offset;
}
