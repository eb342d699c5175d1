/** `trelu clean <dir...>`: list, and with --remove delete, temp files that killed writers left behind. */
import fs from 'node:fs';
import { TreluError, EXIT_OK } from '../errors.js';
import { findStaleTemps, removeStaleTemps } from '../node/temp-files.js';
import { formatBytes, printJson, type Io } from './output.js';

export interface CleanOptions {
  remove?: boolean;
  json?: boolean;
}

export function cleanCommand(io: Io, dirs: readonly string[], options: CleanOptions): number {
  const found = dirs.flatMap((dir) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch {
      throw new TreluError('E_FILE_NOT_FOUND', `${dir}: no such directory`, { hint: 'name the directory a write was interrupted in' });
    }
    if (!st.isDirectory()) throw new TreluError('E_USAGE', `${dir}: not a directory`, { hint: 'name the directory a write was interrupted in' });
    return findStaleTemps(dir);
  });
  const removed = options.remove ? removeStaleTemps(found) : [];
  if (options.json) {
    printJson(io, { stale: found, removed: removed.map((r) => r.path) });
    return EXIT_OK;
  }
  for (const s of found) io.out(`${options.remove ? 'removed' : 'stale'} ${s.path} (${formatBytes(s.bytes)}, for ${s.target}, writer pid ${s.pid} is gone)`);
  if (found.length === 0) io.out('no stale temp files');
  else if (!options.remove) io.out(`${found.length} stale temp file(s); run again with --remove to delete them`);
  return EXIT_OK;
}
