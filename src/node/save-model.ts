/**
 * Writing a model and its external data.
 *
 * Three layouts:
 * - default: inline tensors stay inline; external tensors keep their
 *   locations (files are copied next to the output when it goes to another
 *   directory, left alone when it goes to the same one);
 * - `externalData`: every raw_data tensor of at least `sizeThreshold` bytes,
 *   and every already-external tensor, goes into one file, each at an offset
 *   aligned to 4096 bytes (the ONNX spec's advice, for mmap);
 * - `inlineData`: every external tensor is read back into raw_data.
 * Tensors stored in typed fields (float_data, int32_data, ...) stay inline, as
 * onnx's own convert_model_to_external_data leaves them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import { TreluError } from '../errors.js';
import { encodeModelChunked, encodedSize, MAX_PROTO_BYTES } from '../onnx/encode.js';
import { checkExternalLocation, externalDataEntries, externalDataInfo, isExternal } from '../onnx/external-data.js';
import { forEachMessage, mapMessages, cloneShallow } from '../onnx/walk.js';
import { has } from '../onnx/decode.js';
import { onnx, DataLocation, type ModelProto, type TensorProto } from '../onnx/proto.js';
import { PendingFile, copyRange, alignUp, writeError } from './file-io.js';
import type { LoadedModel } from './model-file.js';
import { LazyCopier, forgetLazy, lazyBytesOf, repoint, withPlaceholders, type LazyBytes } from './lazy-load.js';
import { assertSafeOutput, inputFilesOf, type InputFile } from './output-safety.js';
import { chooseDataName, previousReferences, relocate, removeSuperseded } from './data-names.js';
import { cleanStale, copyExternalFiles, inlineExternalTensors, mkdirFor, plannedCopies, requireSource } from './save-layout.js';

export interface SaveOptions {
  /** The loaded model the external tensors of `model` refer to. Required when `model` has external tensors. */
  source?: LoadedModel;
  /** Put tensors into this external data file, a path relative to the output model's directory. */
  externalData?: { location: string; sizeThreshold?: number };
  /** Read every external tensor back into the model file. */
  inlineData?: boolean;
  /** Permit the output to replace the source model file. Default false. */
  allowOverwriteInput?: boolean;
  /** fsync each file before renaming it into place (crash durability). Default true. */
  fsync?: boolean;
  /** Other files the command read (an --input x.npy, say): no output may replace them. */
  inputs?: readonly InputFile[];
}

export interface SaveReport {
  path: string;
  bytes: number;
  externalFiles: { path: string; bytes: number; tensors: number }[];
  /** Data files of the model that was replaced, removed once the new pair was in place (see data-names.ts). */
  superseded: string[];
  /** Temp files of killed writers found beside the output (those of this save's own targets are removed, not listed). */
  staleTemps: string[];
}

export const DEFAULT_SIZE_THRESHOLD = 1024;
const ALIGNMENT = 4096;

export function saveModelFile(model: ModelProto, outFile: string, options: SaveOptions = {}): SaveReport {
  return saveModelFileFilling(model, outFile, options);
}

/**
 * Writes some chunks of the model file by other means than from memory
 * (rewrite-file.ts copies placeholder tensors' bytes from the input file).
 * `fill(chunk, write)` returns true when it wrote `chunk`'s bytes itself;
 * `finish()` runs after the last chunk, before anything is renamed into
 * place, and may throw to abort the save.
 */
export interface ChunkFiller {
  fill(chunk: Uint8Array, write: (bytes: Uint8Array) => void): boolean;
  finish(): void;
}

/**
 * What one save has open: its temp files (aborted on failure), the input
 * files lazy tensors are copied from (lazy-load.ts), and where each of those
 * tensors went, so a save that replaced their file can point them at the copy.
 */
interface Job {
  pending: PendingFile[];
  copier: LazyCopier;
  placed: { slot: LazyBytes; file: PendingFile; at: number }[];
}

const newJob = (): Job => ({ pending: [], copier: new LazyCopier(), placed: [] });

/** Writes a lazy tensor's bytes, copied from its file, at `file`'s position. */
function copyLazy(job: Job, slot: LazyBytes, file: PendingFile, write: (bytes: Uint8Array) => void): void {
  job.placed.push({ slot, file, at: file.position });
  for (const piece of job.copier.pieces(slot)) write(piece);
}

/** saveModelFile, with `filler` writing the chunks it knows (every check, temp file, fsync and rename as in saveModelFile). */
export function saveModelFileFilling(model: ModelProto, outFile: string, options: SaveOptions = {}, filler?: ChunkFiller): SaveReport {
  const job = newJob();
  try {
    const plan = prepare(model, outFile, options, job);
    const file = plan.modelFile;
    const write = (bytes: Uint8Array) => file.write(bytes);
    encodeModelChunked(plan.toWrite, (chunk) => {
      const slot = plan.lazy?.slots.get(chunk);
      if (slot) copyLazy(job, slot, file, write);
      else if (!filler?.fill(chunk, write)) write(chunk);
    });
    filler?.finish();
    return finish(plan, job, file.position);
  } catch (e) {
    for (const p of job.pending) p.abort();
    throw asUserError(e, outFile);
  } finally {
    job.copier.close();
  }
}

type Plan = ReturnType<typeof prepare>;

/**
 * Data files first, the model last: the model's rename is the moment the new
 * pair replaces the old. Lazy tensors are checked first: every placeholder
 * filled, every file they came from unchanged.
 */
function finish(plan: Plan, job: Job, bytes: number): SaveReport {
  const filled = job.placed.filter((p) => p.file === plan.modelFile).length;
  // a placeholder the write missed would be zeros in the output
  if (filled !== (plan.lazy?.count ?? 0)) throw new TreluError('E_INTERNAL', `save: ${filled} lazy tensors copied into the model file, ${plan.lazy?.count ?? 0} expected`);
  job.copier.checkUnchanged();
  for (const p of job.pending) p.commit();
  repointReplaced(plan.replacing, job.placed);
  const superseded = removeSuperseded(plan.outDir, plan.previous, plan.requested, plan.written, plan.inputs.map((i) => i.path));
  return { path: plan.out, bytes, externalFiles: plan.externalFiles, superseded, staleTemps: plan.staleTemps };
}

/** The lazy tensors whose file this save replaced (allowOverwriteInput) now read their bytes where it wrote them. */
function repointReplaced(replacing: string | undefined, placed: Job['placed']): void {
  if (replacing === undefined) return;
  for (const { slot, file, at } of placed) {
    if (slot.path !== replacing) continue;
    const { ino, size, mtimeMs } = fs.statSync(file.finalPath);
    repoint(slot, fs.realpathSync(file.finalPath), { ino, size, mtimeMs }, at);
  }
}

/** fs errors (ENOSPC, EACCES, ...) become one-line TreluErrors; anything else is a bug and stays as it is. */
function asUserError(e: unknown, outFile: string): unknown {
  if (e instanceof TreluError) return e;
  if (e && typeof e === 'object' && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e) return writeError(e, outFile);
  return e;
}

/**
 * saveModelFile, writing the model file with positioned writes that run in
 * parallel on libuv's thread pool (the encoded chunks are independent: views
 * into the model's buffers or freshly encoded bytes, at known offsets). A
 * model with lazy tensors is written in order instead, their bytes copied
 * from their file (lazy-load.ts).
 */
export async function saveModelFileAsync(model: ModelProto, outFile: string, options: SaveOptions = {}): Promise<SaveReport> {
  const job = newJob();
  try {
    const plan = prepare(model, outFile, options, job);
    const file = plan.modelFile;
    const chunks: { bytes: Uint8Array; at: number }[] = [];
    let position = 0;
    encodeModelChunked(plan.toWrite, (chunk) => {
      chunks.push({ bytes: chunk, at: position });
      position += chunk.length;
    });
    if (plan.lazy) {
      writeInOrder(plan, job, chunks.map((c) => c.bytes));
    } else {
      await writeInParallel(file, chunks, outFile);
      file.position = position;
    }
    return finish(plan, job, file.position);
  } catch (e) {
    for (const p of job.pending) p.abort();
    throw asUserError(e, outFile);
  } finally {
    job.copier.close();
  }
}

async function writeInParallel(file: PendingFile, chunks: readonly { bytes: Uint8Array; at: number }[], outFile: string): Promise<void> {
  // Every write's failure is caught where it is started (a rejection left
  // waiting while the loop sleeps would be an unhandled rejection); the
  // first one stops further writes and is thrown once the others settle.
  const writes: Promise<void>[] = [];
  let failure: { error: unknown } | undefined;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  for (const c of chunks) {
    while (inFlight >= WRITE_PARALLELISM && !failure) await new Promise<void>((r) => (wake = r));
    if (failure) break;
    inFlight++;
    writes.push(writeAt(file.fd, c.bytes, c.at)
      .catch((error: unknown) => { failure ??= { error }; })
      .finally(() => {
        inFlight--;
        wake?.();
      }));
  }
  await Promise.all(writes);
  if (failure) throw writeError(failure.error, outFile);
}

/** The chunks one after the other at the file's position, lazy tensors copied from their file. */
function writeInOrder(plan: Plan, job: Job, chunks: readonly Uint8Array[]): void {
  const file = plan.modelFile;
  const write = (bytes: Uint8Array) => file.write(bytes);
  for (const chunk of chunks) {
    const slot = plan.lazy?.slots.get(chunk);
    if (slot) copyLazy(job, slot, file, write);
    else write(chunk);
  }
}

const WRITE_PARALLELISM = 2;

async function writeAt(fd: number, bytes: Uint8Array, at: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await new Promise<{ bytesWritten: number }>((resolve, reject) =>
      fs.write(fd, bytes, done, Math.min(bytes.length - done, 1 << 30), at + done, (err, n) => (err ? reject(err) : resolve({ bytesWritten: n }))));
    done += bytesWritten;
  }
}

/**
 * Everything before the model file's bytes: the safety checks, the data file
 * names (data-names.ts), stale temp files, external data written, the model
 * file opened. Nothing is created before every check has passed.
 */
function prepare(model: ModelProto, outFile: string, options: SaveOptions, job: Job) {
  const pending = job.pending;
  if (options.externalData && options.inlineData) {
    throw new TreluError('E_USAGE', 'external data and inline data are mutually exclusive', { hint: 'choose one of --external-data and --inline-data' });
  }
  const out = path.resolve(outFile);
  const outDir = path.dirname(out);
  const source = options.source;
  const inputs: InputFile[] = [
    ...(source ? inputFilesOf(source).filter((f) => !(options.allowOverwriteInput && f.path === source.path)) : []),
    ...(options.inputs ?? []),
    // the save reads these (lazy tensors), with or without `source`; allowOverwriteInput lets it replace them
    ...(options.allowOverwriteInput ? [] : lazyFilesOf(model)),
  ];
  assertSafeOutput(out, inputs, outFile);
  const dataInputs = [...inputs, { path: out, role: 'the output model' }];
  const fsync = options.fsync ?? true;
  const externalFiles: SaveReport['externalFiles'] = [];
  const requested: string[] = [];
  const written = new Set<string>();
  const targets = [out];
  let previous: Set<string> | undefined = new Set();
  let toWrite = model;
  if (options.inlineData) {
    toWrite = inlineExternalTensors(model, source);
  } else if (options.externalData) {
    const location = checkExternalLocation(options.externalData.location);
    previous = previousReferences(out);
    const name = chooseDataName(location, outDir, previous);
    const target = path.join(outDir, ...name.split('/'));
    assertSafeOutput(target, dataInputs, `--external-data ${options.externalData.location}`);
    requested.push(location);
    targets.push(target);
    const staleTemps = cleanStale(outDir, targets);
    const { model: moved, file } = moveToExternalFile(model, target, name, options.externalData.sizeThreshold, source, job, fsync);
    toWrite = moved;
    if (file) {
      externalFiles.push(file);
      written.add(name);
    }
    return openModel(toWrite, out, outFile, fsync, pending, { outDir, previous, requested, written, externalFiles, inputs, staleTemps });
  } else {
    const copies = plannedCopies(model, outDir, source);
    if (copies.length) previous = previousReferences(out);
    const renames = new Map<string, string>();
    const jobs = copies.map((location) => {
      const name = chooseDataName(location, outDir, previous);
      const target = path.join(outDir, ...name.split('/'));
      assertSafeOutput(target, dataInputs, `external data '${location}' next to ${outFile}`);
      renames.set(location, name);
      requested.push(location);
      written.add(name);
      targets.push(target);
      return { location, target };
    });
    const staleTemps = cleanStale(outDir, targets);
    externalFiles.push(...copyExternalFiles(jobs, source, pending, fsync));
    toWrite = relocate(model, renames);
    return openModel(toWrite, out, outFile, fsync, pending, { outDir, previous, requested, written, externalFiles, inputs, staleTemps });
  }
  const staleTemps = cleanStale(outDir, targets);
  return openModel(toWrite, out, outFile, fsync, pending, { outDir, previous, requested, written, externalFiles, inputs, staleTemps });
}

/** The files `model`'s unread lazy tensors come from (lazy-load.ts), as inputs of the save. */
function lazyFilesOf(model: ModelProto): InputFile[] {
  const files = new Set<string>();
  forEachMessage('ModelProto', model, 'TensorProto', (m) => {
    const slot = lazyBytesOf(m as unknown as TensorProto);
    if (slot && !slot.bytes) files.add(slot.path);
  });
  return [...files].map((f) => ({ path: f, role: 'the file the lazy tensors are read from' }));
}

interface PlanState {
  outDir: string;
  previous: Set<string> | undefined;
  requested: string[];
  written: Set<string>;
  externalFiles: SaveReport['externalFiles'];
  inputs: InputFile[];
  staleTemps: string[];
}

function openModel(model: ModelProto, out: string, outFile: string, fsync: boolean, pending: PendingFile[], state: PlanState) {
  // lazy tensors (lazy-load.ts) become placeholders that the write fills from their file
  const lazy = withPlaceholders(model);
  const toWrite = lazy?.model ?? model;
  const size = encodedSize(toWrite);
  if (size > MAX_PROTO_BYTES) {
    throw new TreluError('E_TOO_LARGE', `${outFile}: the model would be ${size} bytes, over protobuf's 2 GiB limit`, {
      hint: 'keep the tensors in external data (--external-data <file>)',
    });
  }
  /** The file the rename replaces (a lazy tensor's own file, with allowOverwriteInput, must then follow its bytes). */
  let replacing: string | undefined;
  try {
    replacing = fs.realpathSync(out);
  } catch {
    // nothing there yet
  }
  const modelFile = new PendingFile(out, fsync);
  pending.push(modelFile);
  return { out, toWrite, modelFile, lazy, replacing, ...state };
}

function moveToExternalFile(model: ModelProto, target: string, location: string, sizeThreshold: number | undefined, source: LoadedModel | undefined, job: Job, fsync: boolean) {
  const pending = job.pending;
  const threshold = sizeThreshold ?? DEFAULT_SIZE_THRESHOLD;
  mkdirFor(target);
  let file: PendingFile | undefined;
  let hash: Hash | undefined;
  // The data file's sha1 is written only into tensors that carried a checksum entry: without one, nothing is hashed
  // (on bench:io's model, skipping 480 MiB of sha1 took `trelu convert --external-data` from 1.98x to 1.36x cp + sync).
  let checksummed = false;
  forEachMessage('ModelProto', model, 'TensorProto', (m) => {
    const t = m as unknown as TensorProto;
    checksummed ||= isExternal(t) && (t.externalData ?? []).some((e) => e.key === 'checksum');
  });
  let tensors = 0;
  const needChecksum: TensorProto[] = [];
  const open = (): PendingFile => {
    if (!file) {
      file = new PendingFile(target, fsync);
      pending.push(file);
      if (checksummed) hash = createHash('sha1');
    }
    return file;
  };
  const moved = mapMessages('ModelProto', model, 'TensorProto', (m) => {
    const t = m as unknown as TensorProto;
    const external = isExternal(t);
    // a lazy tensor's length is known without reading it (reading rawData would load it)
    const slot = external ? undefined : lazyBytesOf(t);
    if (!external && !(slot ? slot.length >= threshold : has(t, 'rawData') && t.rawData.length >= threshold)) return m;
    const f = open();
    const offset = alignUp(f.position, ALIGNMENT);
    const pad = new Uint8Array(offset - f.position);
    f.write(pad);
    hash?.update(pad);
    let length: number;
    let extra: onnx.StringStringEntryProto[] = [];
    if (external) {
      const info = externalDataInfo(t);
      const src = requireSource(source, t).externalFiles.find((x) => x.location === info.relativePath)!;
      length = info.length ?? src.size - info.offset;
      copyRange(src.path, info.offset, length, f.fd, hash && ((chunk) => hash!.update(chunk)));
      f.position += length;
      extra = (t.externalData ?? []).filter((e) => e.key !== 'checksum');
      if ((t.externalData ?? []).some((e) => e.key === 'checksum')) needChecksum.push(t);
    } else if (slot) {
      length = slot.length;
      copyLazy(job, slot, f, (piece) => {
        f.write(piece);
        hash?.update(piece);
      });
    } else {
      length = t.rawData.length;
      f.write(t.rawData);
      hash?.update(t.rawData);
    }
    tensors++;
    const clone = cloneShallow(t);
    forgetLazy(clone);
    delete (clone as Partial<TensorProto>).rawData;
    clone.dataLocation = DataLocation.EXTERNAL;
    clone.externalData = externalDataEntries(location, offset, length, extra);
    if (needChecksum[needChecksum.length - 1] === t) needChecksum[needChecksum.length - 1] = clone;
    return clone as unknown as Record<string, unknown>;
  });
  if (!file) return { model: moved, file: undefined };
  if (!hash) return { model: moved, file: { path: target, bytes: file.position, tensors } };
  const digest = hash.digest('hex');
  for (const t of needChecksum) t.externalData.push(onnx.StringStringEntryProto.create({ key: 'checksum', value: digest }));
  return { model: moved, file: { path: target, bytes: file.position, tensors } };
}

