/**
 * Load, edit, save of a model file whose large inline tensors never enter
 * memory: they are skipped on the way in (lazy-tensors.ts) and copied from
 * the input file into the output on the way out, through one reused 256 KiB
 * buffer (file-io.ts: COPY_CHUNK). A load + save of a 480 MiB model otherwise
 * faults 480 MiB of fresh memory in before it can write a byte (bench:io).
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
 *
 * The two halves are there on their own for callers that decide between the
 * load and the save (the CLI's rewriting commands: dry runs, no-ops):
 *
 *   const lazy = openModelFileLazy('in.onnx');          // undefined: load it the ordinary way
 *   ...edit lazy.model, or a copy of it...
 *   saveLazyModel(lazy, edited, 'out.onnx');
 */
import fs from 'node:fs';
import path from 'node:path';
import { TreluError } from '../errors.js';
import { externalDataEntries, externalDataInfo, isExternal } from '../onnx/external-data.js';
import { forEachMessage, mapMessages, cloneShallow } from '../onnx/walk.js';
import { DataLocation, type ModelProto, type TensorProto } from '../onnx/proto.js';
import { loadModelFileAsync, readExternalBytes, type LoadedModel } from './model-file.js';
import { saveModelFileAsync, saveModelFileFilling, type SaveReport } from './save-model.js';
import { assertSafeOutput } from './output-safety.js';
import { decodeSkippingTensors, type FileRange } from './lazy-tensors.js';
import { COPY_CHUNK } from './file-io.js';

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
  /** Temp files of killed writers found beside the output (see SaveReport). */
  staleTemps: string[];
}

/** A model read with its large inline tensors left in the file (openModelFileLazy). */
export interface LazyModel {
  /** The model; the skipped tensors are external data of the input file itself. */
  readonly model: ModelProto;
  /** The input as a LoadedModel, for readExternalBytes, ortModelBytes and the save's safety checks. */
  readonly source: LoadedModel;
  /** The skipped tensors still in the file, by their (unique) offset there. */
  readonly ranges: ReadonlyMap<number, LazyRange>;
  /** The input as it was when read: the save refuses a file that changed since. */
  readonly stat: { readonly ino: number; readonly size: number; readonly mtimeMs: number };
}

interface LazyRange extends FileRange {
  /** The tensor's own data_location and external_data before it was made a reference (restored on the save, for identical bytes). */
  readonly own: Partial<Pick<TensorProto, 'dataLocation' | 'externalData'>>;
}

/** The chunked encoder hands byte fields of this size on as they are (the identity the copy relies on). */
const MIN_THRESHOLD = 64 * 1024;

/**
 * `input` decoded with its raw_data payloads of at least `threshold` bytes
 * left in the file, or undefined where that does not apply (the model has
 * external data, or the walk does not take the file apart: a missing or
 * damaged file too): the caller then loads it the ordinary way and gets the
 * ordinary answer.
 */
export function openModelFileLazy(input: string, options: Pick<RewriteOptions, 'threshold'> = {}): LazyModel | undefined {
  const abs = path.resolve(input);
  let decoded: ReturnType<typeof decodeSkippingTensors>;
  try {
    decoded = decodeSkippingTensors(abs, Math.max(MIN_THRESHOLD, options.threshold ?? 1 << 20), input);
  } catch {
    return undefined;
  }
  const { model, skipped } = decoded;
  let external = false;
  forEachMessage('ModelProto', model, 'TensorProto', (t) => {
    external ||= isExternal(t as unknown as TensorProto);
  });
  if (external) return undefined;

  const location = path.basename(abs);
  const real = fs.realpathSync(abs);
  const { ino, size, mtimeMs } = fs.statSync(real);
  const ranges = new Map<number, LazyRange>();
  for (const [t, range] of skipped) {
    const own: LazyRange['own'] = {};
    if (Object.prototype.hasOwnProperty.call(t, 'dataLocation')) own.dataLocation = t.dataLocation;
    if (Object.prototype.hasOwnProperty.call(t, 'externalData')) own.externalData = t.externalData;
    ranges.set(range.offset, { ...range, own });
    t.dataLocation = DataLocation.EXTERNAL;
    t.externalData = externalDataEntries(location, range.offset, range.length);
  }
  const source: LoadedModel = { model, path: abs, dir: path.dirname(abs), size, externalFiles: [{ location, path: real, size, tensors: skipped.size }] };
  return { model, source, ranges, stat: { ino, size, mtimeMs } };
}

/** The range of the input a tensor of `lazy` still refers to, or undefined (an ordinary tensor). */
function rangeOf(lazy: LazyModel, t: TensorProto): LazyRange | undefined {
  if (!isExternal(t)) return undefined;
  const info = externalDataInfo(t);
  const range = info.relativePath === lazy.source.externalFiles[0]!.location ? lazy.ranges.get(info.offset) : undefined;
  return range && range.length === info.length ? range : undefined;
}

function restored(t: TensorProto, range: LazyRange, rawData: Uint8Array): TensorProto {
  const clone = cloneShallow(t);
  delete (clone as Partial<TensorProto>).externalData;
  delete (clone as Partial<TensorProto>).dataLocation;
  Object.assign(clone, range.own);
  clone.rawData = rawData;
  return clone;
}

/**
 * Reads the payload of a skipped tensor into memory, in place: `t` is an
 * ordinary inline tensor afterwards, as the ordinary load would have made
 * it. For tensors whose values code wants to see as rawData.
 */
export function loadTensorBytes(lazy: LazyModel, t: TensorProto): void {
  const range = rangeOf(lazy, t);
  if (!range) return;
  const bytes = readExternalBytes(lazy.source, t);
  delete (t as Partial<TensorProto>).externalData;
  delete (t as Partial<TensorProto>).dataLocation;
  Object.assign(t, range.own);
  t.rawData = bytes;
}

/**
 * Saves `model` (lazy.model or an edit of it) inline, every tensor that still
 * refers to the input copied from there byte for byte; otherwise exactly as
 * saveModelFile saves it (checked against the input, temp file + rename,
 * fsync by default). Any other external data is refused.
 */
export function saveLazyModel(lazy: LazyModel, model: ModelProto, output: string, options: Pick<RewriteOptions, 'fsync'> = {}): RewriteReport {
  const input = lazy.source.path;
  assertSafeOutput(output, [{ path: input, role: 'the input model' }]);
  const longest = Math.max(0, ...[...lazy.ranges.values()].map((r) => r.length));
  const zeros = new ArrayBuffer(longest); // never written nor read: only views of it are handed to the encoder
  const fill = new WeakMap<Uint8Array, FileRange>();
  const toWrite = mapMessages('ModelProto', model, 'TensorProto', (m) => {
    const t = m as unknown as TensorProto;
    if (!isExternal(t)) return m;
    if (t.rawData?.length) {
      throw new TreluError('E_USAGE', `tensor '${t.name}' has both rawData and external data`, { hint: 'to give a tensor new values, delete its externalData and dataLocation (or make a new TensorProto)' });
    }
    const range = rangeOf(lazy, t);
    if (!range) {
      throw new TreluError('E_USAGE', `tensor '${t.name}': the edit left external data (${externalDataInfo(t).location}) that rewriteModelFile does not write`, {
        hint: 'give new tensors rawData, or save with saveModelFile and externalData',
      });
    }
    const view = new Uint8Array(zeros, 0, range.length);
    fill.set(view, range);
    return restored(t, range, view) as unknown as Record<string, unknown>;
  });
  const expected = countPlaceholders(toWrite, fill);
  const inFd = fs.openSync(lazy.source.externalFiles[0]!.path, 'r');
  const scratch = Buffer.allocUnsafeSlow(Math.min(COPY_CHUNK, Math.max(1, longest)));
  let copied = 0;
  let filled = 0;
  let saved: SaveReport;
  try {
    saved = saveModelFileFilling(toWrite, output, { source: lazy.source, fsync: options.fsync ?? true }, {
      fill(chunk, write) {
        const range = fill.get(chunk);
        if (!range) return false;
        for (let done = 0; done < range.length;) {
          const n = readInput(inFd, scratch, Math.min(scratch.length, range.length - done), range.offset + done, input);
          write(scratch.subarray(0, n));
          done += n;
        }
        copied += range.length;
        filled++;
        return true;
      },
      finish() {
        // Every placeholder must have been filled from the file: a missed one would be zeros in the output.
        if (filled !== expected) throw new Error(`saveLazyModel: ${filled} tensors copied, ${expected} expected`);
        const now = fs.fstatSync(inFd);
        if (now.ino !== lazy.stat.ino || now.size !== lazy.stat.size || now.mtimeMs !== lazy.stat.mtimeMs) {
          throw new TreluError('E_READ', `${input}: changed during the rewrite`, { hint: 'run it again on a file nothing else writes' });
        }
      },
    });
  } finally {
    fs.closeSync(inFd);
  }
  return { path: saved.path, bytes: saved.bytes, lazy: true, copiedBytes: copied, staleTemps: saved.staleTemps };
}

function readInput(fd: number, into: Buffer, length: number, at: number, input: string): number {
  let n: number;
  try {
    n = fs.readSync(fd, into, 0, length, at);
  } catch (e) {
    throw new TreluError('E_READ', `${input}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)}) while copying a tensor`, { cause: e });
  }
  if (n <= 0) throw new TreluError('E_READ', `${input}: ended at byte ${at} while copying a tensor (was the file changed during the edit?)`);
  return n;
}

function countPlaceholders(model: ModelProto, fill: WeakMap<Uint8Array, FileRange>): number {
  let n = 0;
  forEachMessage('ModelProto', model, 'TensorProto', (t) => {
    if (fill.has((t as unknown as TensorProto).rawData)) n++;
  });
  return n;
}

/** Load (lazily), `edit` in place, save: see the file comment. */
export async function rewriteModelFile(input: string, output: string, edit: (model: ModelProto, source: LoadedModel) => void | Promise<void>, options: RewriteOptions = {}): Promise<RewriteReport> {
  const fsync = options.fsync ?? true;
  assertSafeOutput(output, [{ path: path.resolve(input), role: 'the input model' }]);
  const lazy = openModelFileLazy(input, options);
  if (!lazy) {
    // the ordinary load gives the usual answer (its own error about a missing or damaged file, or the model the walk could not take apart)
    const loaded = await loadModelFileAsync(input);
    await edit(loaded.model, loaded);
    const r = await saveModelFileAsync(loaded.model, output, { source: loaded, fsync });
    return { path: r.path, bytes: r.bytes, lazy: false, copiedBytes: 0, staleTemps: r.staleTemps };
  }
  await edit(lazy.model, lazy.source);
  return saveLazyModel(lazy, lazy.model, output, { fsync });
}
