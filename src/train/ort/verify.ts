/**
 * A bounds-checking verifier for ORT training checkpoints (file identifier
 * ODTC), run before the generated accessors read anything.
 *
 * The flatbuffers npm package has no verifier (flatc generates one for C++,
 * which ORT runs, `fbs::VerifyCheckpointBuffer`, but not for TypeScript), and
 * its accessors trust every offset: a truncated file reads past the end, a
 * corrupt offset sends them anywhere. This walks the same tables as ORT's
 * verifier: every table's vtable, every offset, string and vector must lie
 * inside the buffer, strings end in NUL, scalars and offsets are aligned,
 * nesting is bounded. The table layouts below mirror
 * src/train/ort/schema/ort_training_checkpoint.fbs (and Tensor from ort.fbs);
 * a test checks them against files ORT itself accepts.
 */
import { TreluError } from '../../errors.js';

type FieldKind =
  | { kind: 'scalar'; size: 1 | 2 | 4 | 8 }
  | { kind: 'string' }
  | { kind: 'table'; table: () => TableSpec }
  | { kind: 'vector'; elementSize: 1 | 4 | 8 }
  | { kind: 'strings' }
  | { kind: 'tables'; table: () => TableSpec };

interface TableSpec {
  name: string;
  fields: FieldKind[];
}

const s = (size: 1 | 2 | 4 | 8): FieldKind => ({ kind: 'scalar', size });
const str: FieldKind = { kind: 'string' };
const tables = (table: () => TableSpec): FieldKind => ({ kind: 'tables', table });
const table = (t: () => TableSpec): FieldKind => ({ kind: 'table', table: t });

// Field order = the order of declaration in the schema (the vtable slot).
const TENSOR: TableSpec = { name: 'Tensor', fields: [str, str, { kind: 'vector', elementSize: 8 }, s(4), { kind: 'vector', elementSize: 1 }, { kind: 'strings' }] };
const MODULE_STATE: TableSpec = { name: 'ModuleState', fields: [tables(() => TENSOR), tables(() => TENSOR), s(1), s(1)] };
const PARAM_STATE: TableSpec = { name: 'ParameterOptimizerState', fields: [str, tables(() => TENSOR)] };
const GROUP: TableSpec = { name: 'OptimizerGroup', fields: [str, s(8), s(4), tables(() => PARAM_STATE)] };
const INT_PROP: TableSpec = { name: 'IntProperty', fields: [str, s(8)] };
const FLOAT_PROP: TableSpec = { name: 'FloatProperty', fields: [str, s(4)] };
const STRING_PROP: TableSpec = { name: 'StringProperty', fields: [str, str] };
const BAG: TableSpec = { name: 'PropertyBag', fields: [tables(() => INT_PROP), tables(() => FLOAT_PROP), tables(() => STRING_PROP)] };
const CHECKPOINT: TableSpec = { name: 'Checkpoint', fields: [s(4), table(() => MODULE_STATE), tables(() => GROUP), table(() => BAG)] };

export const CHECKPOINT_IDENTIFIER = 'ODTC';
/** flatbuffers' C++ defaults (Verifier: max_depth 64, max_tables 1,000,000). */
const MAX_DEPTH = 64;
const MAX_TABLES = 1_000_000;

/** Throws E_CHECKPOINT naming what is wrong and where, or returns if the bytes are a well-formed checkpoint. */
export function verifyCheckpointBuffer(bytes: Uint8Array, source = 'checkpoint'): void {
  const fail = (what: string): never => {
    throw new TreluError('E_CHECKPOINT', `${source}: not a valid ORT training checkpoint (${what})`, { hint: 'an ORT checkpoint is a FlatBuffer with file identifier ODTC, as written by ORT training or `trelu artifacts --format ort`' });
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, too short for a FlatBuffer`);
  const id = String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!);
  if (id !== CHECKPOINT_IDENTIFIER) fail(`file identifier '${printable(id)}', expected '${CHECKPOINT_IDENTIFIER}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  let tableCount = 0;

  const inBounds = (pos: number, len: number, what: string) => {
    if (pos < 0 || len < 0 || pos + len > size) fail(`${what} at byte ${pos} runs past the end (${size} bytes)`);
  };
  const aligned = (pos: number, n: number, what: string) => {
    if (pos % n !== 0) fail(`${what} at byte ${pos} is not ${n}-byte aligned`);
  };
  const u32 = (pos: number, what: string) => {
    inBounds(pos, 4, what);
    aligned(pos, 4, what);
    return view.getUint32(pos, true);
  };
  const deref = (pos: number, what: string) => pos + u32(pos, what);

  const vectorAt = (pos: number, elementSize: number, what: string): { start: number; length: number } => {
    const length = u32(pos, `${what} length`);
    if (elementSize > 4) aligned(pos + 4, elementSize, what);
    inBounds(pos + 4, length * elementSize, what);
    return { start: pos + 4, length };
  };
  const stringAt = (pos: number, what: string) => {
    const { start, length } = vectorAt(pos, 1, what);
    inBounds(start, length + 1, `${what} terminator`);
    if (bytes[start + length] !== 0) fail(`${what} at byte ${pos} is not NUL-terminated`);
  };

  const verifyTable = (pos: number, spec: TableSpec, depth: number): void => {
    if (depth > MAX_DEPTH) fail(`tables nested deeper than ${MAX_DEPTH}`);
    if (++tableCount > MAX_TABLES) fail(`more than ${MAX_TABLES} tables`);
    inBounds(pos, 4, spec.name);
    aligned(pos, 4, spec.name);
    const vtable = pos - view.getInt32(pos, true);
    inBounds(vtable, 4, `${spec.name} vtable`);
    aligned(vtable, 2, `${spec.name} vtable`);
    const vtSize = view.getUint16(vtable, true);
    const tableSize = view.getUint16(vtable + 2, true);
    if (vtSize < 4 || vtSize % 2 !== 0) fail(`${spec.name} vtable at byte ${vtable} has size ${vtSize}`);
    inBounds(vtable, vtSize, `${spec.name} vtable`);
    inBounds(pos, tableSize, spec.name);
    const slots = (vtSize - 4) / 2;
    spec.fields.forEach((field, i) => {
      if (i >= slots) return;
      const off = view.getUint16(vtable + 4 + 2 * i, true);
      if (off === 0) return;
      const at = pos + off;
      const what = `${spec.name} field ${i}`;
      if (field.kind === 'scalar') {
        if (off + field.size > tableSize) fail(`${what} lies outside its table`);
        aligned(at, field.size, what);
        return;
      }
      if (off + 4 > tableSize) fail(`${what} lies outside its table`);
      const target = deref(at, what);
      if (field.kind === 'string') stringAt(target, what);
      else if (field.kind === 'table') verifyTable(target, field.table(), depth + 1);
      else if (field.kind === 'vector') vectorAt(target, field.elementSize, what);
      else {
        const { start, length } = vectorAt(target, 4, what);
        for (let k = 0; k < length; k++) {
          const element = deref(start + 4 * k, `${what}[${k}]`);
          if (field.kind === 'strings') stringAt(element, `${what}[${k}]`);
          else verifyTable(element, field.table(), depth + 1);
        }
      }
    });
  };

  verifyTable(deref(0, 'root offset'), CHECKPOINT, 0);
}

function printable(s: string): string {
  return [...s].map((c) => (c >= ' ' && c <= '~' ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)).join('');
}
