/** Writing tensors as `<dir>/<name>.npy`, each through a temporary file renamed into place. */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { toNpy } from '../runtime/inputs.js';
import type { TensorLike } from '../runtime/tensor.js';
import { PendingFile, writeError } from './file-io.js';
import { assertSafeOutput, assertSafeOutputDir, type InputFile } from './output-safety.js';

/** File systems take names up to 255 bytes; tf2onnx writes tensor names of 300 and more. */
const MAX_BASE = 160;

/**
 * The file name a tensor name gets: characters outside [A-Za-z0-9_.-] become '_'; a name longer
 * than 160 characters keeps its first 160 and gets '~' and 12 hex digits of the full name's
 * SHA-256 (so it stays unique and under the 255-byte limit of ext4 and APFS).
 */
export function npyFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  const base = safe.length <= MAX_BASE ? safe : `${safe.slice(0, MAX_BASE)}~${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
  return `${base}.npy`;
}

/**
 * Unique file names for tensor names, in order: npyFileName's, and where two names map to the same
 * file (case-insensitively, for macOS and Windows file systems: 'a/b' and 'a:b' both give a_b.npy)
 * the later one gets `.1`, `.2`, ... before `.npy`. `reserved` names are never given out.
 */
export function npyFileNames(names: readonly string[], reserved: readonly string[] = []): string[] {
  const used = new Set<string>(reserved.map((r) => r.toLowerCase()));
  return names.map((n) => {
    const base = npyFileName(n).replace(/\.npy$/, '');
    let f = `${base}.npy`;
    for (let k = 1; used.has(f.toLowerCase()); k++) f = `${base}.${k}.npy`;
    used.add(f.toLowerCase());
    return f;
  });
}

/**
 * Writes each tensor to `<dir>/<file>` (npyFileNames) and returns the file of each name.
 * Refuses (before writing anything) a `dir` that is not a directory, and a
 * file that exists as something other than a regular file or is one of
 * `inputs` (the files the command read).
 */
export function writeNpyFiles(dir: string, tensors: Readonly<Record<string, TensorLike>>, inputs: readonly InputFile[] = []): Record<string, string> {
  assertSafeOutputDir(dir);
  const names = Object.keys(tensors);
  const files = npyFileNames(names).map((f) => path.join(dir, f));
  for (const f of files) assertSafeOutput(f, inputs);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw writeError(e, dir);
  }
  for (const [i, name] of names.entries()) {
    const f = new PendingFile(files[i]!, false);
    const t = tensors[name]!;
    try {
      f.write(toNpy(t));
      f.commit();
    } catch (e) {
      f.abort();
      throw e;
    }
  }
  return Object.fromEntries(names.map((n, i) => [n, files[i]!]));
}
