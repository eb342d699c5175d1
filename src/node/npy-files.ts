/** Writing tensors as `<dir>/<name>.npy`, each through a temporary file renamed into place. */
import fs from 'node:fs';
import path from 'node:path';
import { toNpy } from '../runtime/inputs.js';
import type { TensorLike } from '../runtime/tensor.js';
import { PendingFile, writeError } from './file-io.js';
import { assertSafeOutput, assertSafeOutputDir, type InputFile } from './output-safety.js';

/** The file name a tensor name gets (characters outside [A-Za-z0-9_.-] become '_'). */
export function npyFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`;
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
