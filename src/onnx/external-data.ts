/**
 * External data (TensorProto.data_location = EXTERNAL): parsing the
 * `external_data` key/value entries and the path rules that keep a model from
 * pointing outside its own directory.
 *
 * The onnx Python package shipped CVE-2024-27318 and CVE-2024-27319 for
 * following `location` values such as `../../etc/passwd` or absolute paths. Here
 * a location must be a relative path that stays inside the model's directory;
 * the Node adapter also resolves symlinks before it opens anything.
 */
import { TreluError } from '../errors.js';
import { onnx, DataLocation, type TensorProto } from './proto.js';
import { has } from './decode.js';

export interface ExternalDataInfo {
  /** The location as written in the model. */
  readonly location: string;
  /** The location normalized to POSIX segments, proven to stay inside the model's directory. */
  readonly relativePath: string;
  readonly offset: number;
  /** Byte length, if the model gives one. */
  readonly length?: number;
  readonly checksum?: string;
}

export function isExternal(tensor: TensorProto): boolean {
  return has(tensor, 'dataLocation') && tensor.dataLocation === DataLocation.EXTERNAL;
}

/**
 * Parses a tensor's external_data entries. Throws E_EXTERNAL_DATA for missing
 * or malformed entries, E_UNSAFE_PATH for a location that leaves the model's
 * directory.
 */
export function externalDataInfo(tensor: TensorProto): ExternalDataInfo {
  const entries = new Map<string, string>();
  for (const e of tensor.externalData ?? []) entries.set(e.key ?? '', e.value ?? '');
  const name = tensor.name || '<unnamed>';
  const location = entries.get('location');
  if (location === undefined) {
    throw new TreluError('E_EXTERNAL_DATA', `tensor '${name}' is marked EXTERNAL but has no 'location' entry`);
  }
  const relativePath = checkExternalLocation(location, name);
  const offset = parseByteCount(entries.get('offset'), 'offset', name) ?? 0;
  const length = parseByteCount(entries.get('length'), 'length', name);
  const checksum = entries.get('checksum');
  return { location, relativePath, offset, length, checksum };
}

function parseByteCount(text: string | undefined, key: string, tensor: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new TreluError('E_EXTERNAL_DATA', `tensor '${tensor}': external data ${key} '${text}' is not a non-negative integer`);
  }
  return Number(text);
}

/**
 * Validates an external-data location and returns it normalized
 * (`a/./b/../c` → `a/c`). Rejects: empty, NUL bytes, absolute paths (POSIX,
 * UNC, drive letters), and `..` segments that climb above the model's directory.
 */
export function checkExternalLocation(location: string, tensor = '<unnamed>'): string {
  const unsafe = (why: string): never => {
    throw new TreluError('E_UNSAFE_PATH', `tensor '${tensor}': external data location '${location}' ${why}`, {
      hint: 'external data must be a relative path inside the model\'s directory',
    });
  };
  if (location.length === 0) unsafe('is empty');
  if (location.includes('\0')) unsafe('contains a NUL byte');
  if (location.startsWith('/') || location.startsWith('\\') || /^[A-Za-z]:/.test(location)) unsafe('is an absolute path');
  const out: string[] = [];
  for (const seg of location.split(/[\\/]+/)) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) unsafe('leaves the model\'s directory');
      out.pop();
    } else {
      out.push(seg);
    }
  }
  if (out.length === 0) unsafe('names the model\'s directory itself');
  return out.join('/');
}

/** external_data entries for a tensor stored at `location`, `offset`, `length` (keys in onnx's order). */
export function externalDataEntries(location: string, offset: number, length: number, extra: readonly onnx.StringStringEntryProto[] = []): onnx.StringStringEntryProto[] {
  const entry = (key: string, value: string) => onnx.StringStringEntryProto.create({ key, value });
  const entries: onnx.StringStringEntryProto[] = [entry('location', location), entry('offset', String(offset)), entry('length', String(length))];
  return entries.concat(extra.filter((e) => !['location', 'offset', 'length'].includes(e.key ?? '')));
}
