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

/** Prints a user error as `trelu: <message>` and `  hint: ...`; returns the exit code. Non-TreluErrors are bugs and keep their stack. */
export function reportError(io: Io, e: unknown): number {
  if (isTreluError(e)) {
    io.err(`trelu: ${e.message}`);
    if (e.hint) io.err(`  hint: ${e.hint}`);
    return e.exitCode;
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
