/**
 * A gradient model's parameters on disk: `<dir>/<file>.npy` per tensor and
 * `<dir>/manifest.json` mapping each tensor name to its file, shape and
 * dtype (tensor names are free text; file names are sanitized and made
 * unique, so the manifest is the only record of which is which). The
 * manifest is written last: a folder without one is incomplete.
 *
 *   writeParamsDir('grad.params', feeds, { model: 'grad.onnx' })
 *   const feeds = readParamsDir('grad.params')      // { 'fc1.weight': TensorLike, ... }
 */
import fs from 'node:fs';
import path from 'node:path';
import { TreluError } from '../errors.js';
import { parseNpy, toNpy } from '../runtime/inputs.js';
import type { TensorLike } from '../runtime/tensor.js';
import { PendingFile, writeError } from './file-io.js';
import { assertSafeOutput, assertSafeOutputDir, type InputFile } from './output-safety.js';
import { npyFileNames } from './npy-files.js';

export const PARAMS_MANIFEST = 'manifest.json';
/** Metadata key a gradient model carries: the parameter names it needs fed (JSON list). */
export const GRADIENT_PARAMS_KEY = 'trelu.gradient.parameters';

export interface ParamsManifest {
  format: 'trelu-params/1';
  model?: string;
  tensors: { name: string; file: string; shape: number[]; dtype: string }[];
}

function writeOne(file: string, bytes: Uint8Array): void {
  const f = new PendingFile(file, false);
  try {
    f.write(bytes);
    f.commit();
  } catch (e) {
    f.abort();
    throw e;
  }
}

/**
 * Writes `tensors` and the manifest. On failure nothing it wrote is left (nor the folder, if it
 * made it); `undo()` on the result removes them again, for a caller whose next step failed.
 */
export function writeParamsDir(dir: string, tensors: Readonly<Record<string, TensorLike>>, options: { model?: string; inputs?: readonly InputFile[] } = {}): ParamsManifest & { undo(): void } {
  assertSafeOutputDir(dir);
  const names = Object.keys(tensors);
  const files = npyFileNames(names, [PARAMS_MANIFEST]);
  for (const f of [...files, PARAMS_MANIFEST]) assertSafeOutput(path.join(dir, f), options.inputs ?? []);
  const created = !fs.existsSync(dir);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw writeError(e, dir);
  }
  const manifest: ParamsManifest = { format: 'trelu-params/1', ...(options.model ? { model: options.model } : {}), tensors: [] };
  const written: string[] = [];
  try {
    names.forEach((name, i) => {
      const t = tensors[name]!;
      writeOne(path.join(dir, files[i]!), toNpy(t));
      written.push(path.join(dir, files[i]!));
      manifest.tensors.push({ name, file: files[i]!, shape: [...t.dims], dtype: String(t.type) });
    });
    writeOne(path.join(dir, PARAMS_MANIFEST), new TextEncoder().encode(JSON.stringify(manifest, null, 1) + '\n'));
    written.push(path.join(dir, PARAMS_MANIFEST));
  } catch (e) {
    removeParams(dir, written, created);
    throw e;
  }
  return Object.assign(manifest, { undo: () => removeParams(dir, written, created) });
}

/** Removes the files one writeParamsDir call wrote, and the folder if that call made it (and it is empty). */
function removeParams(dir: string, files: readonly string[], createdDir: boolean): void {
  for (const f of files) fs.rmSync(f, { force: true });
  if (createdDir) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // not empty (someone else's files): leave it
    }
  }
}

/** Reads a params folder through its manifest; each file must exist and match its recorded shape and dtype. */
export function readParamsDir(dir: string): Record<string, TensorLike> {
  const manifestPath = path.join(dir, PARAMS_MANIFEST);
  let manifest: ParamsManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as ParamsManifest;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TreluError(code === 'ENOENT' ? 'E_FILE_NOT_FOUND' : 'E_DECODE', `--params ${dir}: ${code === 'ENOENT' ? `no ${PARAMS_MANIFEST}` : `${PARAMS_MANIFEST} is not readable JSON`}`, {
      hint: 'pass the <out>.params folder trelu grad wrote (its manifest names each tensor\'s file)',
    });
  }
  if (manifest.format !== 'trelu-params/1' || !Array.isArray(manifest.tensors)) throw new TreluError('E_DECODE', `--params ${dir}: ${PARAMS_MANIFEST} is not a trelu params manifest`);
  const out: Record<string, TensorLike> = {};
  for (const t of manifest.tensors) {
    if (typeof t.file !== 'string' || path.basename(t.file) !== t.file) throw new TreluError('E_UNSAFE_PATH', `--params ${dir}: file '${t.file}' for '${t.name}' is not a plain file name in the folder`);
    const file = path.join(dir, t.file);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      throw new TreluError('E_FILE_NOT_FOUND', `--params ${dir}: '${t.file}' (for '${t.name}') is missing`, { hint: 'the folder is incomplete: write it again with trelu grad' });
    }
    const tensor = parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
    if (tensor.type !== t.dtype || tensor.dims.length !== t.shape.length || tensor.dims.some((d, i) => d !== t.shape[i])) {
      throw new TreluError('E_DECODE', `--params ${dir}: '${t.file}' holds ${tensor.type}[${tensor.dims.join(',')}], the manifest says ${t.dtype}[${t.shape.join(',')}] for '${t.name}'`);
    }
    out[t.name] = tensor;
  }
  return out;
}

/**
 * For `trelu run --params`: the feeds from a params folder, and the refusal to run a gradient model
 * (it names its parameters in GRADIENT_PARAMS_KEY) without them — random weights would give
 * gradients of nothing. Parameters given one by one with --input count as given.
 */
export function gradientParams(model: { metadataProps?: readonly { key?: string | null; value?: string | null }[] | null }, dir: string | undefined, inputSpecs: readonly string[] = []): { name: string; tensor: TensorLike }[] {
  const fed = dir ? readParamsDir(dir) : {};
  const entry = model.metadataProps?.find((p) => p.key === GRADIENT_PARAMS_KEY);
  if (entry?.value) {
    let needed: string[] = [];
    try {
      needed = JSON.parse(entry.value) as string[];
    } catch {
      needed = [];
    }
    const byInput = new Set(inputSpecs.map((s) => s.split('=')[0]));
    const missing = needed.filter((n) => !(n in fed) && !byInput.has(n));
    if (missing.length) {
      throw new TreluError('E_USAGE', `this is a gradient model: ${missing.length} of its ${needed.length} parameter(s) are not given (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}); random values would give meaningless gradients`, {
        hint: 'feed them with --params <out>.params (the folder trelu grad wrote)',
      });
    }
  }
  return Object.entries(fed).map(([name, tensor]) => ({ name, tensor }));
}
