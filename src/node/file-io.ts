/** Small synchronous file helpers: whole writes, ranged reads and copies, temp-and-rename. */
import fs from 'node:fs';
import path from 'node:path';
import { TreluError } from '../errors.js';
import { registerTemp, tempPathFor, unregisterTemp } from './temp-files.js';
import { assertSafeOutput } from './output-safety.js';

/**
 * The buffer a copy from file to file goes through. Small enough to stay in
 * the CPU's cache between the read and the write: copying 480 MiB from the
 * page cache took 1.3-2.4 s through an 8 MiB buffer, 0.29-0.43 s through
 * 256 KiB, as fast as fs.copyFileSync's in-kernel copy (0.32-0.41 s) on the
 * development VM (bench:io's model, interleaved runs).
 */
export const COPY_CHUNK = 256 * 1024;

/** Writes all of `bytes` at the file's current position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    done += fs.writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
  }
}

export function readRange(file: string, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const fd = fs.openSync(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, Math.min(length - done, 1 << 30), offset + done);
      if (n === 0) throw new TreluError('E_EXTERNAL_DATA', `${file}: ended at byte ${offset + done}, expected ${offset + length}`);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

/** Streams `length` bytes at `offset` of `from` to the current position of `toFd`, COPY_CHUNK at a time. */
export function copyRange(from: string, offset: number, length: number, toFd: number, onChunk?: (chunk: Uint8Array) => void): void {
  const scratch = new Uint8Array(Math.min(COPY_CHUNK, Math.max(length, 1)));
  const fd = fs.openSync(from, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, scratch, 0, Math.min(scratch.length, length - done), offset + done);
      if (n === 0) throw new TreluError('E_EXTERNAL_DATA', `${from}: ended at byte ${offset + done}, expected ${offset + length}`);
      writeAll(toFd, scratch.subarray(0, n));
      onChunk?.(scratch.subarray(0, n));
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/**
 * An fs error met while writing `target`, as one line: the errno a user can act
 * on (a full disk, a read-only or unwritable directory) gets its own words.
 */
export function writeError(e: unknown, target: string): TreluError {
  if (e instanceof TreluError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, [string, string]> = {
    ENOSPC: ['no space left on the device', 'free some space or write to another file system'],
    EDQUOT: ['disk quota exceeded', 'free some space or write to another file system'],
    EACCES: ['permission denied', 'check that the output directory is writable'],
    EPERM: ['operation not permitted', 'check that the output directory is writable'],
    EROFS: ['read-only file system', 'write to another file system'],
    EISDIR: ['is a directory', 'name a file, not a directory'],
    ENOENT: ['directory does not exist', 'create the output directory first'],
    ENOTDIR: ['a component of the path is not a directory', 'check the output path'],
    EEXIST: ['a file appeared there while writing', 'run the command again'],
    EFBIG: ['file too large for this file system', 'keep tensors in external data, or write to another file system'],
    EIO: ['input/output error', 'check the disk'],
  };
  const known = code !== undefined ? why[code] : undefined;
  return new TreluError('E_WRITE', `${target}: cannot write (${known ? `${known[0]}, ${code}` : code ?? String(e)})`, {
    hint: known?.[1] ?? 'check the output path', cause: e,
  });
}

/**
 * A file being written under a temporary name in its final directory
 * (`.name.trelu-tmp-<pid>-<random>`, see temp-files.ts); `commit()` renames
 * it into place, `abort()` removes it. It is removed on SIGINT/SIGTERM too.
 * Every fs error is a TreluError E_WRITE naming the final path.
 */
export class PendingFile {
  readonly tempPath: string;
  readonly fd: number;
  position = 0;
  private closed = false;
  private done = false;

  /** `fsync`: flush to disk before the rename, so a crash cannot leave a renamed but empty file. */
  constructor(readonly finalPath: string, private readonly fsync = true) {
    // Every writer gets this much safety even when it knows nothing of its inputs: a device, FIFO,
    // symlink or directory at the target is refused, never replaced (see output-safety.ts).
    assertSafeOutput(finalPath, []);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const temp = tempPathFor(finalPath);
      try {
        registerTemp(temp);
        this.fd = fs.openSync(temp, 'wx', 0o644);
        this.tempPath = temp;
        return;
      } catch (e) {
        unregisterTemp(temp);
        lastError = e;
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') break;
      }
    }
    throw writeError(lastError, finalPath);
  }

  write(bytes: Uint8Array): void {
    try {
      writeAll(this.fd, bytes);
    } catch (e) {
      throw writeError(e, this.finalPath);
    }
    this.position += bytes.length;
  }

  padTo(offset: number): void {
    if (offset > this.position) this.write(new Uint8Array(offset - this.position));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.fsync) fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
    } catch (e) {
      throw writeError(e, this.finalPath);
    }
  }

  commit(): void {
    this.close();
    try {
      fs.renameSync(this.tempPath, this.finalPath);
    } catch (e) {
      throw writeError(e, this.finalPath);
    }
    this.done = true;
    unregisterTemp(this.tempPath);
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    if (!this.closed) {
      this.closed = true;
      try { fs.closeSync(this.fd); } catch { /* already closed */ }
    }
    try { fs.unlinkSync(this.tempPath); } catch { /* never created or already gone */ }
    unregisterTemp(this.tempPath);
  }
}

/** Writes `bytes` to `file` atomically (temp, fsync, rename, fsync of the directory). */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const p = new PendingFile(file);
  try {
    p.write(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    p.commit();
  } catch (e) {
    p.abort();
    throw e;
  }
  try {
    const fd = fs.openSync(path.dirname(file), 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  } catch { /* directories cannot be fsynced on every platform */ }
}
