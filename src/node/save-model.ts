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
import { PendingFile, copyRange, alignUp } from './file-io.js';
import { readExternalBytes, type LoadedModel } from './model-file.js';

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
}

export interface SaveReport {
  path: string;
  bytes: number;
  externalFiles: { path: string; bytes: number; tensors: number }[];
}

export const DEFAULT_SIZE_THRESHOLD = 1024;
const ALIGNMENT = 4096;

export function saveModelFile(model: ModelProto, outFile: string, options: SaveOptions = {}): SaveReport {
  const pending: PendingFile[] = [];
  try {
    const plan = prepare(model, outFile, options, pending);
    encodeModelChunked(plan.toWrite, (chunk) => plan.modelFile.write(chunk));
    for (const p of pending) p.commit();
    return { path: plan.out, bytes: plan.modelFile.position, externalFiles: plan.externalFiles };
  } catch (e) {
    for (const p of pending) p.abort();
    throw e;
  }
}

/**
 * saveModelFile, writing the model file with positioned writes that run in
 * parallel on libuv's thread pool (the encoded chunks are independent: views
 * into the model's buffers or freshly encoded bytes, at known offsets).
 */
export async function saveModelFileAsync(model: ModelProto, outFile: string, options: SaveOptions = {}): Promise<SaveReport> {
  const pending: PendingFile[] = [];
  try {
    const plan = prepare(model, outFile, options, pending);
    const writes: Promise<unknown>[] = [];
    let position = 0;
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const chunks: { bytes: Uint8Array; at: number }[] = [];
    encodeModelChunked(plan.toWrite, (chunk) => {
      chunks.push({ bytes: chunk, at: position });
      position += chunk.length;
    });
    for (const c of chunks) {
      while (inFlight >= WRITE_PARALLELISM) await new Promise<void>((r) => (wake = r));
      inFlight++;
      writes.push(writeAt(plan.modelFile.fd, c.bytes, c.at).finally(() => {
        inFlight--;
        wake?.();
      }));
    }
    await Promise.all(writes);
    plan.modelFile.position = position;
    for (const p of pending) p.commit();
    return { path: plan.out, bytes: position, externalFiles: plan.externalFiles };
  } catch (e) {
    for (const p of pending) p.abort();
    throw e;
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

/** Everything before the model file's bytes: checks, external data, the model file opened. */
function prepare(model: ModelProto, outFile: string, options: SaveOptions, pending: PendingFile[]) {
  if (options.externalData && options.inlineData) {
    throw new TreluError('E_USAGE', 'external data and inline data are mutually exclusive', { hint: 'choose one of --external-data and --inline-data' });
  }
  const out = path.resolve(outFile);
  const outDir = path.dirname(out);
  const source = options.source;
  if (source && !options.allowOverwriteInput && sameFile(out, source.path)) {
    throw new TreluError('E_SAME_FILE', `${outFile}: is the input model; refusing to overwrite it`, { hint: 'write to another path' });
  }
  const externalFiles: SaveReport['externalFiles'] = [];
  let toWrite = model;
  if (options.inlineData) {
    toWrite = inlineExternalTensors(model, source);
  } else if (options.externalData) {
    const { model: moved, file } = moveToExternalFile(model, outDir, options.externalData, source, pending, options.fsync ?? true);
    toWrite = moved;
    if (file) externalFiles.push(file);
  } else {
    externalFiles.push(...copyExternalFiles(model, outDir, source, pending, options.fsync ?? true));
  }
  const size = encodedSize(toWrite);
  if (size > MAX_PROTO_BYTES) {
    throw new TreluError('E_TOO_LARGE', `${outFile}: the model would be ${size} bytes, over protobuf's 2 GiB limit`, {
      hint: 'keep the tensors in external data (--external-data <file>)',
    });
  }
  const modelFile = new PendingFile(out, options.fsync ?? true);
  pending.push(modelFile);
  return { out, toWrite, externalFiles, modelFile };
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

function requireSource(source: LoadedModel | undefined, tensor: TensorProto): LoadedModel {
  if (!source) {
    throw new TreluError('E_EXTERNAL_DATA', `tensor '${tensor.name}' is external, but the model's source directory is unknown`, {
      hint: 'pass the LoadedModel as options.source',
    });
  }
  return source;
}

function withoutExternal(tensor: TensorProto, rawData: Uint8Array): TensorProto {
  const t = cloneShallow(tensor);
  delete (t as Partial<TensorProto>).externalData;
  delete (t as Partial<TensorProto>).dataLocation;
  t.rawData = rawData;
  return t;
}

function inlineExternalTensors(model: ModelProto, source: LoadedModel | undefined): ModelProto {
  // Refuse before reading gigabytes: the inlined model is at least this big.
  let external = 0;
  forEachMessage('ModelProto', model, 'TensorProto', (m) => {
    const t = m as unknown as TensorProto;
    if (isExternal(t)) external += externalDataInfo(t).length ?? 0;
  });
  const lowerBound = encodedSize(model) + external;
  if (lowerBound > MAX_PROTO_BYTES) {
    throw new TreluError('E_TOO_LARGE', `inlining would make the model over ${lowerBound} bytes, past protobuf's 2 GiB limit`, {
      hint: 'keep the tensors in external data (--external-data <file>)',
    });
  }
  return mapMessages('ModelProto', model, 'TensorProto', (m) => {
    const t = m as unknown as TensorProto;
    if (!isExternal(t)) return m;
    return withoutExternal(t, readExternalBytes(requireSource(source, t), t)) as unknown as Record<string, unknown>;
  });
}

function moveToExternalFile(model: ModelProto, outDir: string, opts: NonNullable<SaveOptions['externalData']>, source: LoadedModel | undefined, pending: PendingFile[], fsync: boolean) {
  const location = checkExternalLocation(opts.location);
  const threshold = opts.sizeThreshold ?? DEFAULT_SIZE_THRESHOLD;
  const target = path.join(outDir, ...location.split('/'));
  for (const f of source?.externalFiles ?? []) {
    if (sameFile(target, f.path)) {
      throw new TreluError('E_SAME_FILE', `${opts.location}: is an external data file of the input; refusing to overwrite it`, { hint: 'choose another --external-data name' });
    }
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  let file: PendingFile | undefined;
  let hash: Hash | undefined;
  let tensors = 0;
  const needChecksum: TensorProto[] = [];
  const open = (): PendingFile => {
    if (!file) {
      file = new PendingFile(target, fsync);
      pending.push(file);
      hash = createHash('sha1');
    }
    return file;
  };
  const moved = mapMessages('ModelProto', model, 'TensorProto', (m) => {
    const t = m as unknown as TensorProto;
    const external = isExternal(t);
    if (!external && !(has(t, 'rawData') && t.rawData.length >= threshold)) return m;
    const f = open();
    const offset = alignUp(f.position, ALIGNMENT);
    const pad = new Uint8Array(offset - f.position);
    f.write(pad);
    hash!.update(pad);
    let length: number;
    let extra: onnx.StringStringEntryProto[] = [];
    if (external) {
      const info = externalDataInfo(t);
      const src = requireSource(source, t).externalFiles.find((x) => x.location === info.relativePath)!;
      length = info.length ?? src.size - info.offset;
      copyRange(src.path, info.offset, length, f.fd, (chunk) => hash!.update(chunk));
      f.position += length;
      extra = (t.externalData ?? []).filter((e) => e.key !== 'checksum');
      if ((t.externalData ?? []).some((e) => e.key === 'checksum')) needChecksum.push(t);
    } else {
      length = t.rawData.length;
      f.write(t.rawData);
      hash!.update(t.rawData);
    }
    tensors++;
    const clone = cloneShallow(t);
    delete (clone as Partial<TensorProto>).rawData;
    clone.dataLocation = DataLocation.EXTERNAL;
    clone.externalData = externalDataEntries(location, offset, length, extra);
    if (needChecksum[needChecksum.length - 1] === t) needChecksum[needChecksum.length - 1] = clone;
    return clone as unknown as Record<string, unknown>;
  });
  if (!file) return { model: moved, file: undefined };
  const digest = hash!.digest('hex');
  for (const t of needChecksum) t.externalData.push(onnx.StringStringEntryProto.create({ key: 'checksum', value: digest }));
  return { model: moved, file: { path: target, bytes: file.position, tensors } };
}

function copyExternalFiles(model: ModelProto, outDir: string, source: LoadedModel | undefined, pending: PendingFile[], fsync: boolean): SaveReport['externalFiles'] {
  const locations = new Set<string>();
  forEachMessage('ModelProto', model, 'TensorProto', (m) => {
    const t = m as unknown as TensorProto;
    if (isExternal(t)) {
      requireSource(source, t);
      locations.add(externalDataInfo(t).relativePath);
    }
  });
  const copied: SaveReport['externalFiles'] = [];
  if (locations.size === 0 || !source) return copied;
  if (sameFile(outDir, source.dir)) return copied; // references stay valid: nothing to copy
  for (const location of locations) {
    const src = source.externalFiles.find((f) => f.location === location)!;
    const target = path.join(outDir, ...location.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const f = new PendingFile(target, fsync);
    pending.push(f);
    copyRange(src.path, 0, src.size, f.fd);
    f.position = src.size;
    copied.push({ path: target, bytes: src.size, tensors: src.tensors });
  }
  return copied;
}
