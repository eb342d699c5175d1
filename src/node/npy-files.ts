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
 * Refuses (before writing anything) a `dir` that is not a directory, and a
 * file that exists as something other than a regular file or is one of
 * `inputs` (the files the command read).
 */
export function writeNpyFiles(dir: string, tensors: Readonly<Record<string, TensorLike>>, inputs: readonly InputFile[] = []): void {
  assertSafeOutputDir(dir);
  const files = Object.keys(tensors).map((name) => path.join(dir, npyFileName(name)));
  for (const f of files) assertSafeOutput(f, inputs);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw writeError(e, dir);
  }
  for (const [name, t] of Object.entries(tensors)) {
    const f = new PendingFile(path.join(dir, npyFileName(name)), false);
    try {
      f.write(toNpy(t));
      f.commit();
    } catch (e) {
      f.abort();
      throw e;
    }
  }
}
