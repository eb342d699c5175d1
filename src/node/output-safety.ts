/**
 * The one check every write goes through before it creates anything: an
 * output must not be, or resolve to, a file the command read, and a path that
 * exists must be a regular file (a FIFO, a device such as /dev/null, a
 * symlink or a directory is refused, never replaced).
 *
 * "Resolves to" covers three ways two paths name one file: the same string
 * after path.resolve, the same real path (symlinks in the directories), and
 * the same device and inode (hard links).
 */
import fs from 'node:fs';
import path from 'node:path';
import { TreluError } from '../errors.js';
import type { LoadedModel } from './model-file.js';

/** A file a command read, which no output may replace. */
export interface InputFile {
  readonly path: string;
  /** What it is, for the message: 'the input model', "external data file 'w.bin' of the input". */
  readonly role: string;
}

/** The model file and every external-data file it references. */
export function inputFilesOf(loaded: LoadedModel): InputFile[] {
  return [
    { path: loaded.path, role: 'the input model' },
    ...loaded.externalFiles.map((f) => ({ path: f.path, role: `external data file '${f.location}' of the input` })),
  ];
}

interface Identity {
  real: string;
  dev?: number;
  ino?: number;
}

function identityOf(p: string): Identity {
  const abs = path.resolve(p);
  try {
    const st = fs.statSync(abs);
    return { real: fs.realpathSync(abs), dev: st.dev, ino: st.ino };
  } catch {
    // Not there (yet): where it would be created, with its directory resolved.
    let dir = path.dirname(abs);
    try { dir = fs.realpathSync(dir); } catch { /* the directory does not exist either */ }
    return { real: path.join(dir, path.basename(abs)), dev: undefined, ino: undefined };
  }
}

function sameIdentity(a: Identity, b: Identity): boolean {
  if (a.real === b.real) return true;
  return a.dev !== undefined && a.dev === b.dev && a.ino === b.ino;
}

/**
 * Refuses (TreluError, exit 2) to write `output` when it is one of `inputs`
 * or exists and is not a regular file. `what` names the output in messages
 * (e.g. '--external-data w.bin'). Call before anything is created.
 */
export function assertSafeOutput(output: string, inputs: readonly InputFile[], what = output): void {
  const abs = path.resolve(output);
  let lst: fs.Stats | undefined;
  try {
    lst = fs.lstatSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new TreluError('E_WRITE', `${what}: cannot write (${code})`, { hint: 'check that the output directory exists and is writable' });
    }
  }
  if (lst && !lst.isFile()) {
    throw new TreluError('E_UNSAFE_OUTPUT', `${what}: exists and is ${kindOf(lst)}, not a regular file; refusing to replace it`, {
      hint: 'write to a new path or to a regular file',
    });
  }
  const out = identityOf(abs);
  for (const input of inputs) {
    if (sameIdentity(out, identityOf(input.path))) {
      throw new TreluError('E_SAME_FILE', `${what}: is ${input.role}${out.real !== path.resolve(input.path) ? ` (${input.path})` : ''}; refusing to overwrite it`, {
        hint: 'write to another path',
      });
    }
  }
}

/** Refuses an output directory that exists and is not a directory (or is a symlink to one outside the check). */
export function assertSafeOutputDir(dir: string, what = dir): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    return;
  }
  if (!st.isDirectory()) {
    throw new TreluError('E_UNSAFE_OUTPUT', `${what}: exists and is ${kindOf(st)}, not a directory`, { hint: 'name a directory (it is created if missing)' });
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a regular file';
}
