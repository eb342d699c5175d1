/** The warning every writing command prints when a save found temp files of killed writers beside its output. */
import type { Io } from './output.js';

export function warnStaleTemps(io: Io, staleTemps: readonly string[]): void {
  if (!staleTemps.length) return;
  io.err(`warning: ${staleTemps.length} temp file(s) of interrupted writes beside the output (${staleTemps.slice(0, 3).join(', ')}${staleTemps.length > 3 ? ', ...' : ''})`);
  io.err('  hint: list and remove them with: trelu clean <dir> --remove');
}
