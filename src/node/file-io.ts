/** Small synchronous file helpers: whole writes, ranged reads and copies, temp-and-rename. */
import fs from 'node:fs';
import path from 'node:path';
import { TreluError } from '../errors.js';

const IO_CHUNK = 8 * 1024 * 1024;

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

/** Streams `length` bytes at `offset` of `from` to the current position of `toFd`, 8 MiB at a time. */
export function copyRange(from: string, offset: number, length: number, toFd: number, onChunk?: (chunk: Uint8Array) => void): void {
  const scratch = new Uint8Array(Math.min(IO_CHUNK, Math.max(length, 1)));
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
 * A file being written under a temporary name in its final directory;
 * `commit()` renames it into place, `abort()` removes it.
 */
export class PendingFile {
  readonly tempPath: string;
  readonly fd: number;
  position = 0;
  private closed = false;

  /** `fsync`: flush to disk before the rename, so a crash cannot leave a renamed but empty file. */
  constructor(readonly finalPath: string, private readonly fsync = true) {
    this.tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${process.pid}.${Date.now()}.tmp`);
    try {
      this.fd = fs.openSync(this.tempPath, 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new TreluError('E_WRITE', `${finalPath}: cannot write (${code === 'ENOENT' ? 'directory does not exist' : code})`, {
        hint: 'check that the output directory exists and is writable',
      });
    }
  }

  write(bytes: Uint8Array): void {
    writeAll(this.fd, bytes);
    this.position += bytes.length;
  }

  padTo(offset: number): void {
    if (offset > this.position) this.write(new Uint8Array(offset - this.position));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fsync) fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }

  commit(): void {
    this.close();
    fs.renameSync(this.tempPath, this.finalPath);
  }

  abort(): void {
    if (!this.closed) {
      this.closed = true;
      try { fs.closeSync(this.fd); } catch { /* already closed */ }
    }
    try { fs.unlinkSync(this.tempPath); } catch { /* never created or already gone */ }
  }
}
