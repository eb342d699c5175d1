/**
 * Whole-file copies that stay in the kernel: fs.copyFileSync is libuv's
 * uv_fs_copyfile, which on Linux copies with copy_file_range/sendfile (page
 * cache to page cache, no pass through JS memory), as `cp` does. Used where a
 * save copies an external data file unchanged.
 */
import fs from 'node:fs';
import { TreluError } from '../errors.js';
import type { PendingFile } from './file-io.js';

/**
 * Copies all of `src` (expected to be `size` bytes) into the temporary file of
 * `to`, which must still be empty; `to.position` becomes the size. A source
 * whose size changed since it was opened is refused (E_EXTERNAL_DATA), as the
 * ranged copy refuses a file that ends early.
 */
export function copyWholeFileInto(src: string, size: number, to: PendingFile): void {
  if (to.position !== 0) throw new RangeError('copyWholeFileInto: the target already has bytes');
  // Same inode: copyFileSync opens the temp path with O_TRUNC, so `to.fd` still names the copy (fsync, rename).
  fs.copyFileSync(src, to.tempPath);
  const copied = fs.fstatSync(to.fd).size;
  if (copied !== size) {
    throw new TreluError('E_EXTERNAL_DATA', `${src}: is ${copied} bytes now, ${size} when the model was loaded`, { hint: 'the external data file changed while the model was open; load it again' });
  }
  to.position = size;
}
