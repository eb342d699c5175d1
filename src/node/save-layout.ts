/**
 * The parts of a save (save-model.ts) that lay out external data without
 * writing the model file: stale temp files of the targets, external tensors
 * read back inline, external data files copied next to an output in another
 * directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TreluError } from '../errors.js';
import { encodedSize, MAX_PROTO_BYTES } from '../onnx/encode.js';
import { externalDataInfo, isExternal } from '../onnx/external-data.js';
import { forEachMessage, mapMessages, cloneShallow } from '../onnx/walk.js';
import type { ModelProto, TensorProto } from '../onnx/proto.js';
import { PendingFile, writeError } from './file-io.js';
import { copyWholeFileInto } from './copy-file.js';
import { readExternalBytes, type LoadedModel } from './model-file.js';
import { findStaleTemps, removeStaleTemps } from './temp-files.js';
import type { SaveReport } from './save-model.js';

/**
 * Removes temp files that killed writers left for this save's own targets
 * (they can only be incomplete copies of what is being written now) and
 * returns the other stale ones in the directory, to be reported.
 */
export function cleanStale(outDir: string, targets: readonly string[]): string[] {
  const dirs = new Set([outDir, ...targets.map((t) => path.dirname(t))]);
  const stale = [...dirs].flatMap((d) => findStaleTemps(d));
  const mine = new Set(targets);
  removeStaleTemps(stale.filter((s) => mine.has(s.target)));
  return stale.filter((s) => !mine.has(s.target)).map((s) => s.path);
}

export function mkdirFor(target: string): void {
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
  } catch (e) {
    throw writeError(e, target);
  }
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

export function requireSource(source: LoadedModel | undefined, tensor: TensorProto): LoadedModel {
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

export function inlineExternalTensors(model: ModelProto, source: LoadedModel | undefined): ModelProto {
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

/** The external-data locations to copy next to the output: none when it goes to the source's own directory. */
export function plannedCopies(model: ModelProto, outDir: string, source: LoadedModel | undefined): string[] {
  const locations = new Set<string>();
  forEachMessage('ModelProto', model, 'TensorProto', (m) => {
    const t = m as unknown as TensorProto;
    if (isExternal(t)) {
      requireSource(source, t);
      locations.add(externalDataInfo(t).relativePath);
    }
  });
  if (locations.size === 0 || !source) return [];
  if (sameFile(outDir, source.dir)) return []; // references stay valid: nothing to copy
  return [...locations];
}

export function copyExternalFiles(jobs: readonly { location: string; target: string }[], source: LoadedModel | undefined, pending: PendingFile[], fsync: boolean): SaveReport['externalFiles'] {
  const copied: SaveReport['externalFiles'] = [];
  for (const { location, target } of jobs) {
    const src = source!.externalFiles.find((f) => f.location === location)!;
    mkdirFor(target);
    const f = new PendingFile(target, fsync);
    pending.push(f);
    try {
      copyWholeFileInto(src.path, src.size, f);
    } catch (e) {
      throw writeError(e, target);
    }
    copied.push({ path: target, bytes: src.size, tensors: src.tensors });
  }
  return copied;
}
