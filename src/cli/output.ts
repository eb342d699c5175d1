/** Printing helpers shared by the commands: one-line errors, sizes, JSON. */
import { isTreluError, EXIT_BAD_INPUT } from '../errors.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

let pipesGuarded = false;

/**
 * `trelu inspect m.onnx | head -3`: once the reader has gone, stdout writes
 * fail with EPIPE. That is the reader's choice, not an error: stop quietly
 * (exit 0, like `yes | head` ends without a word).
 */
export function guardPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory', EEXIST: 'already exists', EISDIR: 'is a directory', ENOTDIR: 'a path component is not a directory',
  EACCES: 'permission denied', EPERM: 'operation not permitted', ENOSPC: 'no space left on the device', EROFS: 'read-only file system',
  EMFILE: 'too many open files', EBUSY: 'busy',
};

/** A Node file-system error (it has an errno code and a syscall). */
function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** Prints a user error as `trelu: <message>` and `  hint: ...`; returns the exit code. Non-TreluErrors are bugs and keep their stack. */
export function reportError(io: Io, e: unknown): number {
  if (isTreluError(e)) {
    io.err(`trelu: ${e.message}`);
    if (e.hint) io.err(`  hint: ${e.hint}`);
    return e.exitCode;
  }
  if (isFsError(e)) {
    // a file-system problem is the user's to fix: one line, exit 2, no stack
    io.err(`trelu: ${e.path ?? ''}${e.path ? ': ' : ''}cannot ${e.syscall}: ${ERRNO_TEXT[e.code!] ?? e.code}${(e as { dest?: string }).dest ? ` (${(e as { dest?: string }).dest})` : ''}`);
    io.err('  hint: check the path, that its directory exists and is writable, and that it is not an existing file where a directory is needed');
    return EXIT_BAD_INPUT;
  }
  io.err(`trelu: internal error (a bug in onnx-trelu, please report it): ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  return 70;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

export { EXIT_BAD_INPUT };
