/**
 * Load, edit, save of a model file whose large inline tensors never enter
 * memory: they are skipped on the way in (lazy-tensors.ts) and copied from
 * the input file into the output on the way out, through one reused 8 MiB
 * buffer. A load + save of a 480 MiB model otherwise faults 480 MiB of fresh
 * memory in before it can write a byte (bench:io).
 *
 *   await rewriteModelFile('in.onnx', 'out.onnx', (model) => { ...edit nodes... });
 *
 * During `edit`, the skipped tensors are external-data references to the
 * input file itself (location = its file name, offset and length of the
 * payload), so code that wants their values reads them with
 * readExternalBytes(source, tensor) and gets the real bytes; a tensor the
 * edit gives new rawData is written with it. On save every such reference
 * still pointing at the input is written back inline, byte for byte. The
 * output is an ordinary inline model, written like every save: checked
 * against the input, temp file + rename, fsync by default. Models that
 * already use external data, or that the walk does not take apart, go the
 * ordinary way (loadModelFileAsync + saveModelFileAsync).
 */
import fs from 'node:fs';
import path from 'node:path';
import { TreluError } from '../errors.js';
import { encodeModelChunked, encodedSize, MAX_PROTO_BYTES } from '../onnx/encode.js';
import { externalDataEntries, externalDataInfo, isExternal } from '../onnx/external-data.js';
import { forEachMessage, mapMessages, cloneShallow } from '../onnx/walk.js';
import { DataLocation, type ModelProto, type TensorProto } from '../onnx/proto.js';
import { PendingFile, writeError } from './file-io.js';
import { loadModelFileAsync, type LoadedModel } from './model-file.js';
import { saveModelFileAsync } from './save-model.js';
import { assertSafeOutput } from './output-safety.js';
import { decodeSkippingTensors, type FileRange } from './lazy-tensors.js';

export interface RewriteOptions {
  /** fsync the output before the rename (default true). */
  fsync?: boolean;
  /** raw_data payloads of at least this many bytes stay in the file until the save (default 1 MiB, at least 64 KiB). */
  threshold?: number;
}

export interface RewriteReport {
  path: string;
  bytes: number;
  /** False when the model went the ordinary way (external data, or a file the walk does not take apart). */
  lazy: boolean;
  /** Tensor bytes copied from the input file without being loaded. */
  copiedBytes: number;
}

const COPY_CHUNK = 8 << 20;
/** The chunked encoder hands byte fields of this size on as they are (the identity the copy relies on). */
const MIN_THRESHOLD = 64 * 1024;

export async function rewriteModelFile(input: string, output: string, edit: (model: ModelProto, source: LoadedModel) => void | Promise<void>, options: RewriteOptions = {}): Promise<RewriteReport> {
  const abs = path.resolve(input);
  const fsync = options.fsync ?? true;
  assertSafeOutput(output, [{ path: abs, role: 'the input model' }]);
  const ordinary = async (): Promise<RewriteReport> => {
    const loaded = await loadModelFileAsync(input);
    await edit(loaded.model, loaded);
    const r = await saveModelFileAsync(loaded.model, output, { source: loaded, fsync });
    return { path: r.path, bytes: r.bytes, lazy: false, copiedBytes: 0 };
  };
  let decoded: ReturnType<typeof decodeSkippingTensors>;
  try {
    decoded = decodeSkippingTensors(abs, Math.max(MIN_THRESHOLD, options.threshold ?? 1 << 20), input);
  } catch {
    // NotLazy, or a file that is missing, not a model, damaged...: the ordinary load gives the usual answer
    // (its own error message about the whole file, or a model the walk could not take apart)
    return ordinary();
  }
  const { model, skipped } = decoded;
  let external = false;
  forEachMessage('ModelProto', model, 'TensorProto', (t) => {
    external ||= isExternal(t as unknown as TensorProto);
  });
  if (external) return ordinary();

  // The skipped payloads, as external data of the input file itself.
  const location = path.basename(abs);
  const real = fs.realpathSync(abs);
  const size = fs.statSync(real).size;
  for (const [t, range] of skipped) {
    t.dataLocation = DataLocation.EXTERNAL;
    t.externalData = externalDataEntries(location, range.offset, range.length);
  }
  const source: LoadedModel = { model, path: abs, dir: path.dirname(abs), size, externalFiles: [{ location, path: real, size, tensors: skipped.size }] };
  await edit(model, source);

  // Back to inline: each reference to the input becomes a placeholder view the writer fills from the file.
  const ranges = [...skipped.values()];
  const longest = Math.max(0, ...ranges.map((r) => r.length));
  const zeros = new ArrayBuffer(longest); // never written nor read: only views of it are handed to the encoder
  const fill = new WeakMap<Uint8Array, FileRange>();
  const toWrite = mapMessages('ModelProto', model, 'TensorProto', (m) => {
    const t = m as unknown as TensorProto;
    if (!isExternal(t)) return m;
    const info = externalDataInfo(t);
    if (t.rawData?.length) {
      throw new TreluError('E_USAGE', `tensor '${t.name}' has both rawData and external data`, { hint: 'to give a tensor new values, delete its externalData and dataLocation (or make a new TensorProto)' });
    }
    const range = info.relativePath === location ? ranges.find((r) => r.offset === info.offset && r.length === info.length) : undefined;
    if (!range) {
      throw new TreluError('E_USAGE', `tensor '${t.name}': the edit left external data (${info.location}) that rewriteModelFile does not write`, {
        hint: 'give new tensors rawData, or save with saveModelFile and externalData',
      });
    }
    const clone = cloneShallow(t);
    delete (clone as Partial<TensorProto>).externalData;
    delete (clone as Partial<TensorProto>).dataLocation;
    const view = new Uint8Array(zeros, 0, range.length);
    fill.set(view, range);
    clone.rawData = view;
    return clone as unknown as Record<string, unknown>;
  });
  const total = encodedSize(toWrite);
  if (total > MAX_PROTO_BYTES) {
    throw new TreluError('E_TOO_LARGE', `${output}: the model would be ${total} bytes, over protobuf's 2 GiB limit`, { hint: 'keep the tensors in external data (saveModelFile with externalData)' });
  }

  const out = new PendingFile(path.resolve(output), fsync);
  const inFd = fs.openSync(real, 'r');
  const scratch = Buffer.allocUnsafeSlow(Math.min(COPY_CHUNK, Math.max(1, longest)));
  let copied = 0;
  let filled = 0;
  try {
    encodeModelChunked(toWrite, (chunk) => {
      const range = fill.get(chunk);
      if (!range) {
        out.write(chunk);
        return;
      }
      for (let done = 0; done < range.length;) {
        const n = fs.readSync(inFd, scratch, 0, Math.min(scratch.length, range.length - done), range.offset + done);
        if (n <= 0) throw new TreluError('E_READ', `${input}: ended at byte ${range.offset + done} while copying a tensor (was the file changed during the edit?)`);
        out.write(scratch.subarray(0, n));
        done += n;
      }
      copied += range.length;
      filled++;
    });
    // Every placeholder must have been filled from the file: a missed one would be zeros in the output.
    const expected = countPlaceholders(toWrite, fill);
    if (filled !== expected) throw new Error(`rewriteModelFile: ${filled} tensors copied, ${expected} expected`);
    if (fs.fstatSync(inFd).size !== size) throw new TreluError('E_READ', `${input}: changed size during the rewrite`, { hint: 'run it again on a file nothing else writes' });
    out.commit();
  } catch (e) {
    out.abort();
    throw e instanceof TreluError ? e : writeError(e, output);
  } finally {
    fs.closeSync(inFd);
  }
  return { path: path.resolve(output), bytes: out.position, lazy: true, copiedBytes: copied };
}

function countPlaceholders(model: ModelProto, fill: WeakMap<Uint8Array, FileRange>): number {
  let n = 0;
  forEachMessage('ModelProto', model, 'TensorProto', (t) => {
    if (fill.has((t as unknown as TensorProto).rawData)) n++;
  });
  return n;
}
