/** Writing tensors as `<dir>/<name>.npy`, each through a temporary file renamed into place. */
import fs from 'node:fs';
import path from 'node:path';
import { toNpy } from '../runtime/inputs.js';
import type { TensorLike } from '../runtime/tensor.js';
import { PendingFile } from './file-io.js';

/** The file name a tensor name gets (characters outside [A-Za-z0-9_.-] become '_'). */
export function npyFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`;
}

export function writeNpyFiles(dir: string, tensors: Readonly<Record<string, TensorLike>>): void {
  fs.mkdirSync(dir, { recursive: true });
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
