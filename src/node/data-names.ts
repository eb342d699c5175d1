/**
 * Choosing external-data file names so that replacing a model and its data
 * is atomic: every kill leaves the old pair or the new pair, never the old
 * model beside new data.
 *
 * Two renames cannot be one atomic step, so the new data never goes to a
 * name the model being replaced still reads. The scheme:
 *  1. read the model now at the output path (if any) for the data files it
 *     references;
 *  2. each new data file goes to the requested name if that model does not
 *     reference it, else to the first free alternate (`w.bin` → `w.1.bin`,
 *     `w.2.bin`, ...), and the new model references that name;
 *  3. the data files are renamed into place first, the model last (the model's
 *     rename is the moment the new pair replaces the old);
 *  4. afterwards, the old model's data files under the requested name or one
 *     of its alternates, which nothing now references, are removed.
 * So re-converting onto the same output alternates between `w.bin` and
 * `w.1.bin`; a fresh output always gets the requested name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeModel } from '../onnx/decode.js';
import { externalDataInfo, isExternal } from '../onnx/external-data.js';
import { forEachMessage, mapMessages, cloneShallow } from '../onnx/walk.js';
import { onnx, type ModelProto, type TensorProto } from '../onnx/proto.js';

/** Larger models at the output path are not read; their references are assumed to be every existing candidate. */
const MAX_PREVIOUS_MODEL_BYTES = 256 << 20;

/**
 * The external-data locations (normalized) of the model now at `out`: an empty
 * set when there is none, undefined when it cannot be told (unreadable, not
 * a model, too large), which callers treat as "may reference anything".
 */
export function previousReferences(out: string): Set<string> | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(out);
  } catch {
    return new Set();
  }
  if (!st.isFile() || st.size > MAX_PREVIOUS_MODEL_BYTES) return undefined;
  try {
    const model = decodeModel(new Uint8Array(fs.readFileSync(out)), { source: out });
    const refs = new Set<string>();
    forEachMessage('ModelProto', model, 'TensorProto', (t) => {
      const tensor = t as unknown as TensorProto;
      if (isExternal(tensor)) refs.add(externalDataInfo(tensor).relativePath);
    });
    return refs;
  } catch {
    return undefined;
  }
}

/** `w.bin` → `w.<n>.bin`, `weights` → `weights.<n>`; in the same directory. */
export function alternateName(location: string, n: number): string {
  const dir = path.posix.dirname(location);
  const base = path.posix.basename(location);
  const dot = base.lastIndexOf('.');
  const named = dot > 0 ? `${base.slice(0, dot)}.${n}${base.slice(dot)}` : `${base}.${n}`;
  return dir === '.' ? named : `${dir}/${named}`;
}

/** Whether `candidate` is `location` or one of its alternates. */
export function isNameOrAlternate(candidate: string, location: string): boolean {
  if (candidate === location) return true;
  for (let n = 1; n <= MAX_ALTERNATES; n++) if (candidate === alternateName(location, n)) return true;
  return false;
}

const MAX_ALTERNATES = 64;

/**
 * The name a data file requested as `location` is written under, in
 * `outDir`: `location` itself unless the model being replaced references it
 * (or may: `previous` undefined and the file exists), else the first alternate
 * that is neither referenced nor present.
 */
export function chooseDataName(location: string, outDir: string, previous: Set<string> | undefined): string {
  const exists = (loc: string) => fs.existsSync(path.join(outDir, ...loc.split('/')));
  const taken = (loc: string) => (previous ? previous.has(loc) : exists(loc));
  if (!taken(location)) return location;
  for (let n = 1; n <= MAX_ALTERNATES; n++) {
    const alt = alternateName(location, n);
    if (!taken(alt) && !exists(alt)) return alt;
  }
  return location; // 64 alternates all present: give up on atomicity rather than fail the write
}

/** The model with every external tensor at a location in `renames` pointed at its new name. */
export function relocate(model: ModelProto, renames: ReadonlyMap<string, string>): ModelProto {
  if (![...renames].some(([from, to]) => from !== to)) return model;
  return mapMessages('ModelProto', model, 'TensorProto', (m) => {
    const t = m as unknown as TensorProto;
    if (!isExternal(t)) return m;
    const to = renames.get(externalDataInfo(t).relativePath);
    if (to === undefined) return m;
    const clone = cloneShallow(t);
    clone.externalData = (t.externalData ?? []).map((e) => (e.key === 'location' ? onnx.StringStringEntryProto.create({ key: 'location', value: to }) : e));
    return clone as unknown as Record<string, unknown>;
  });
}

/**
 * After the new model is in place: removes the old model's data files that
 * were written under a requested name or its alternate and that the new
 * model no longer references. Never a file in `keep` (the inputs).
 */
export function removeSuperseded(outDir: string, previous: Set<string> | undefined, requested: readonly string[], now: ReadonlySet<string>, keep: readonly string[]): string[] {
  if (!previous) return [];
  const keepReal = new Set(keep.map((k) => safeRealpath(k)));
  const removed: string[] = [];
  for (const old of previous) {
    if (now.has(old) || !requested.some((r) => isNameOrAlternate(old, r))) continue;
    const p = path.join(outDir, ...old.split('/'));
    if (keepReal.has(safeRealpath(p))) continue;
    try {
      if (fs.lstatSync(p).isFile()) {
        fs.unlinkSync(p);
        removed.push(p);
      }
    } catch { /* already gone */ }
  }
  return removed;
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
