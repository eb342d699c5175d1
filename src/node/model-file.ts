/**
 * The Node.js file adapter: reading and writing .onnx files and their external
 * data. Everything with `fs` in it lives here, so that src/onnx stays usable in
 * a browser.
 *
 * Writes never touch an input: output goes to a temporary file in the target
 * directory and is renamed into place once complete; on any error the
 * temporaries are removed and nothing is left behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TreluError } from '../errors.js';
import { readRange } from './file-io.js';
import { decodeModel } from '../onnx/decode.js';
import { MAX_PROTO_BYTES } from '../onnx/encode.js';
import { externalDataInfo, isExternal, type ExternalDataInfo } from '../onnx/external-data.js';
import { forEachMessage } from '../onnx/walk.js';
import type { ModelProto, TensorProto } from '../onnx/proto.js';
import { decodeSkippingTensors } from './lazy-tensors.js';
import { makeLazy } from './lazy-load.js';

export interface ExternalFile {
  /** As written in the model (normalized). */
  readonly location: string;
  /** Absolute path on disk, after resolving symlinks. */
  readonly path: string;
  readonly size: number;
  /** Number of tensors stored in this file. */
  tensors: number;
}

export interface LoadedModel {
  readonly model: ModelProto;
  /** Absolute path of the .onnx file. */
  readonly path: string;
  /** Directory external-data locations are relative to. */
  readonly dir: string;
  /** Size of the .onnx file in bytes. */
  readonly size: number;
  readonly externalFiles: readonly ExternalFile[];
}

export interface LoadOptions {
  /**
   * Leave the raw_data of large initializers in the file until code reads
   * `rawData` or a save copies it (lazy-load.ts): a load + save of a large
   * model then never holds its weights in memory. The model then depends on
   * the file: reading a tensor of a file that was replaced, deleted or written
   * since is refused (E_READ). Default false: every tensor is read at once.
   */
  lazyTensors?: boolean;
  /** With lazyTensors: raw_data payloads of at least this many bytes stay in the file (default 1 MiB, at least 64 KiB). */
  lazyThreshold?: number;
}

/** The chunked encoder hands byte fields of this size on as they are (lazy tensors' placeholders rely on it). */
const MIN_LAZY_THRESHOLD = 64 * 1024;

/**
 * Reads and decodes an .onnx file and checks every external-data reference:
 * the location is safe (see checkExternalLocation), resolves (through symlinks)
 * to a regular file inside the model's directory, and the byte range exists.
 * External bytes themselves are read only when asked (readExternalBytes).
 */
export function loadModelFile(file: string, options: LoadOptions = {}): LoadedModel {
  const abs = path.resolve(file);
  return (options.lazyTensors && loadLazily(file, abs, options)) || fromBytes(file, abs, readWholeFile(abs, file));
}

/** The lazyTensors load, or undefined where the walk does not take the file apart (then it is read the ordinary way). */
function loadLazily(file: string, abs: string, options: LoadOptions): LoadedModel | undefined {
  checkModelFile(abs, file);
  let decoded: ReturnType<typeof decodeSkippingTensors>;
  try {
    decoded = decodeSkippingTensors(abs, Math.max(MIN_LAZY_THRESHOLD, options.lazyThreshold ?? 1 << 20), file);
  } catch {
    // NotLazy, or a damaged file: the ordinary load gives the ordinary answer
    return undefined;
  }
  const real = fs.realpathSync(abs);
  for (const [t, range] of decoded.skipped) makeLazy(t, { path: real, shown: file, stat: decoded.stat, offset: range.offset, length: range.length });
  return fromModel(file, abs, decoded.model, decoded.stat.size);
}

/**
 * loadModelFile, reading the file with parallel positioned reads (libuv's
 * thread pool): on a large model most of the load is the kernel faulting in
 * fresh memory, and two threads do that about twice as fast as one.
 */
export async function loadModelFileAsync(file: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const abs = path.resolve(file);
  const lazy = options.lazyTensors && loadLazily(file, abs, options);
  if (lazy) return lazy;
  const size = checkModelFile(abs, file).size;
  const buf = Buffer.allocUnsafeSlow(size);
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(abs, 'r');
    const parts = size >= PARALLEL_READ_MIN ? READ_PARALLELISM : 1;
    const chunk = Math.ceil(size / parts / 4096) * 4096;
    await Promise.all(Array.from({ length: parts }, async (_, i) => {
      const start = i * chunk;
      const end = Math.min(size, start + chunk);
      for (let pos = start; pos < end;) {
        const { bytesRead } = await fh!.read(buf, pos, Math.min(end - pos, READ_CHUNK), pos);
        if (bytesRead === 0) throw new TreluError('E_READ', `${file}: ended early`);
        pos += bytesRead;
      }
    }));
  } catch (e) {
    throw e instanceof TreluError ? e : fsError(e, file);
  } finally {
    await fh?.close();
  }
  return fromBytes(file, abs, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}

const PARALLEL_READ_MIN = 64 << 20;
const READ_PARALLELISM = 2;
const READ_CHUNK = 16 << 20;

function fromBytes(file: string, abs: string, bytes: Uint8Array): LoadedModel {
  return fromModel(file, abs, decodeModel(bytes, { source: file }), bytes.length);
}

function fromModel(file: string, abs: string, model: ModelProto, size: number): LoadedModel {
  const dir = path.dirname(abs);
  const files = new Map<string, ExternalFile>();
  forEachMessage('ModelProto', model, 'TensorProto', (t) => {
    const tensor = t as unknown as TensorProto;
    if (!isExternal(tensor)) return;
    const info = externalDataInfo(tensor);
    let ext = files.get(info.relativePath);
    if (!ext) {
      ext = resolveExternalFile(dir, info, file);
      files.set(info.relativePath, ext);
    }
    ext.tensors++;
    const end = info.offset + (info.length ?? 0);
    if (end > ext.size || info.offset > ext.size) {
      throw new TreluError('E_EXTERNAL_DATA', `${file}: tensor '${tensor.name}' needs bytes ${info.offset}..${end} of '${info.location}', which has ${ext.size}`, {
        hint: 'the external data file is truncated or belongs to another model',
      });
    }
  });
  return { model, path: abs, dir, size, externalFiles: [...files.values()] };
}

function readWholeFile(abs: string, shown: string): Uint8Array {
  checkModelFile(abs, shown);
  try {
    const buf = fs.readFileSync(abs);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw fsError(e, shown);
  }
}

/** Stats the file and refuses directories, special files and files over protobuf's limit. */
function checkModelFile(abs: string, shown: string): fs.Stats {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch (e) {
    throw fsError(e, shown);
  }
  if (stat.isDirectory()) throw new TreluError('E_NOT_A_FILE', `${shown}: is a directory, not a model file`, { hint: 'pass the path of an .onnx file' });
  if (!stat.isFile()) throw new TreluError('E_NOT_A_FILE', `${shown}: not a regular file`);
  if (stat.size > MAX_PROTO_BYTES) {
    throw new TreluError('E_TOO_LARGE', `${shown}: ${stat.size} bytes is over protobuf's 2 GiB limit for one message`, {
      hint: 'models this large must keep their tensors in external data',
    });
  }
  return stat;
}

function fsError(e: unknown, shown: string): TreluError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new TreluError('E_FILE_NOT_FOUND', `${shown}: no such file`, { hint: 'check the path' });
  if (code === 'EISDIR') return new TreluError('E_NOT_A_FILE', `${shown}: is a directory, not a model file`);
  if (code === 'EACCES' || code === 'EPERM') return new TreluError('E_READ', `${shown}: permission denied`);
  return new TreluError('E_READ', `${shown}: cannot read (${code ?? String(e)})`, { cause: e });
}

function resolveExternalFile(dir: string, info: ExternalDataInfo, shown: string): ExternalFile {
  const joined = path.join(dir, ...info.relativePath.split('/'));
  let real: string;
  let realDir: string;
  try {
    realDir = fs.realpathSync(dir);
    real = fs.realpathSync(joined);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TreluError('E_EXTERNAL_DATA', `${shown}: external data file '${info.location}' ${code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code})`}`, {
      hint: 'external data files must sit next to the model, as written when it was saved',
    });
  }
  if (!real.startsWith(realDir + path.sep)) {
    throw new TreluError('E_UNSAFE_PATH', `${shown}: external data location '${info.location}' resolves through a symlink to '${real}', outside the model's directory`, {
      hint: 'external data must be a relative path inside the model\'s directory',
    });
  }
  const stat = fs.statSync(real);
  if (!stat.isFile()) throw new TreluError('E_EXTERNAL_DATA', `${shown}: external data location '${info.location}' is not a regular file`);
  return { location: info.relativePath, path: real, size: stat.size, tensors: 0 };
}

/** The bytes of an external tensor of `loaded`, read from disk. */
export function readExternalBytes(loaded: LoadedModel, tensor: TensorProto): Uint8Array {
  const info = externalDataInfo(tensor);
  const file = loaded.externalFiles.find((f) => f.location === info.relativePath);
  if (!file) throw new TreluError('E_EXTERNAL_DATA', `tensor '${tensor.name}': external file '${info.location}' was not opened with the model`);
  return readRange(file.path, info.offset, info.length ?? file.size - info.offset);
}

