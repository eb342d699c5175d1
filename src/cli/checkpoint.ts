/**
 * `trelu checkpoint show <file>` and `trelu checkpoint convert <in> <out>`:
 * ORT training checkpoints (FlatBuffer, ODTC) and safetensors files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EXIT_CHECK_FAILED, EXIT_OK, TreluError } from '../errors.js';
import { dataTypeName } from '../onnx/dtypes.js';
import { loadModelFile } from '../node/model-file.js';
import { writeFileAtomic } from '../node/file-io.js';
import { assertSafeOutput } from '../node/output-safety.js';
import { modelFromProto } from '../graph/from-proto.js';
import { readOrtCheckpoint, writeOrtCheckpoint, type OrtCheckpoint, type CheckpointTensor } from '../train/ort/checkpoint.js';
import { CHECKPOINT_IDENTIFIER } from '../train/ort/verify.js';
import { decodeSafetensors, encodeSafetensors } from '../train/checkpoint/safetensors.js';
import { CHECKPOINT_FORMAT } from '../train/checkpoint/metadata.js';
import { ortToSafetensors, safetensorsToOrt, checkpointParameters, matchCheckpointToModel, fromSafetensors, toNamedTensors, treluCheckpointFromOrt } from '../train/ort/convert.js';
import { readArtifactsDir } from '../node/training-files.js';
import type { Manifest } from '../train/artifacts/manifest.js';
import { printJson, formatBytes, type Io } from './output.js';

export type CheckpointFormat = 'ort' | 'safetensors' | 'trelu';

/** A plausible safetensors start: a header length that fits the file, then '{'. */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > 1n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

/** Reads a file and tells its format from its bytes (ODTC identifier, or a safetensors header). */
export function readCheckpointFile(file: string): { format: CheckpointFormat; checkpoint: OrtCheckpoint; bytes: number } {
  let bytes: Uint8Array;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new TreluError('E_NOT_A_FILE', `${file}: not a regular file`);
    // A Uint8Array of its own: a Node Buffer may be a view into a shared pool, and Buffer#slice does not copy.
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    if (e instanceof TreluError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new TreluError(code === 'ENOENT' ? 'E_FILE_NOT_FOUND' : 'E_READ', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}`);
  }
  const id = bytes.length >= 8 ? String.fromCharCode(...bytes.subarray(4, 8)) : '';
  if (id === CHECKPOINT_IDENTIFIER) return { format: 'ort', checkpoint: readOrtCheckpoint(bytes, file), bytes: bytes.length };
  if (looksLikeSafetensors(bytes)) {
    const st = fromSafetensors(decodeSafetensors(bytes, file));
    return { format: st.metadata.format === CHECKPOINT_FORMAT ? 'trelu' : 'safetensors', checkpoint: safetensorsToOrt(st), bytes: bytes.length };
  }
  throw new TreluError('E_CHECKPOINT', `${file}: neither an ORT training checkpoint (file identifier ODTC) nor a safetensors file`, {
    hint: 'checkpoints come from ORT training, `trelu artifacts --format ort` or `trelu checkpoint convert`',
  });
}

const tensorLine = (t: CheckpointTensor) => `${t.name}  ${dataTypeName(t.dataType)}[${t.dims.join(',')}]`;
const tensorJson = (t: CheckpointTensor) => ({ name: t.name, dataType: dataTypeName(t.dataType), dims: t.dims, bytes: t.data.length });

export function checkpointShowCommand(io: Io, file: string, options: { json?: boolean; model?: string }): number {
  const { format, checkpoint: c, bytes } = readCheckpointFile(file);
  const mismatches = options.model ? matchCheckpointToModel(checkpointParameters(c), modelFromProto(loadModelFile(options.model).model)) : undefined;
  if (options.json) {
    printJson(io, {
      file, format, bytes, version: c.version, isNominalState: c.isNominalState,
      trainable: c.trainable.map(tensorJson), frozen: c.frozen.map(tensorJson),
      optimizerGroups: c.optimizerGroups.map((g) => ({ name: g.name, step: g.step, initialLearningRate: g.initialLearningRate, parameters: g.parameters.map((p) => ({ name: p.name, momentums: p.momentums.map(tensorJson) })) })),
      properties: { ints: Object.fromEntries(Object.entries(c.properties.ints).map(([k, v]) => [k, v.toString()])), floats: c.properties.floats, strings: c.properties.strings },
      ...(mismatches ? { model: options.model, mismatches } : {}),
    });
  } else {
    const count = (ts: CheckpointTensor[]) => ts.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
    const what = format === 'ort' ? `ORT training checkpoint, version ${c.version}` : format === 'trelu' ? 'trelu train checkpoint (safetensors)' : 'safetensors';
    io.out(`${file}: ${what} (${formatBytes(bytes)})${c.isNominalState ? ', nominal (names only)' : ''}`);
    io.out(`trainable parameters: ${c.trainable.length} (${count(c.trainable)} values)`);
    for (const t of c.trainable) io.out(`  ${tensorLine(t)}`);
    io.out(`frozen parameters: ${c.frozen.length}`);
    for (const t of c.frozen) io.out(`  ${tensorLine(t)}`);
    for (const g of c.optimizerGroups) {
      const keys = [...new Set(g.parameters.flatMap((p) => p.momentums.map((m) => m.name)))];
      io.out(`optimizer group ${g.name}: step ${g.step}, initial learning rate ${Number(g.initialLearningRate.toPrecision(7))}, ${g.parameters.length} parameter state(s) [${keys.join(', ')}]`);
    }
    const props = [...Object.entries(c.properties.ints).map(([k, v]) => `${k}=${v}`), ...Object.entries(c.properties.floats).map(([k, v]) => `${k}=${v}`), ...Object.entries(c.properties.strings).map(([k, v]) => `${k}=${JSON.stringify(v)}`)];
    if (props.length) io.out(`properties: ${props.join(', ')}`);
    if (mismatches) {
      io.out(mismatches.length ? `against ${options.model}: ${mismatches.length} mismatch(es)` : `against ${options.model}: every parameter matches`);
      for (const m of mismatches) io.out(`  ${m.name}: ${m.problem}`);
    }
  }
  return mismatches?.length ? EXIT_CHECK_FAILED : EXIT_OK;
}

export function checkpointConvertCommand(io: Io, input: string, output: string, options: { to?: string; trainable?: string[]; for?: string; json?: boolean }): number {
  if (options.for) return convertForArtifacts(io, input, output, options.for, options.json);
  const to = options.to ?? (output.endsWith('.safetensors') ? 'safetensors' : 'ort');
  if (to !== 'ort' && to !== 'safetensors') throw new TreluError('E_USAGE', `--to '${to}' is not ort or safetensors`);
  assertSafeOutput(output, [{ path: input, role: 'the input checkpoint' }]);
  const { format, checkpoint } = readCheckpointFile(input);
  let c = checkpoint;
  if (options.trainable?.length) {
    const names = new Set(options.trainable.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean));
    const all = [...c.trainable, ...c.frozen];
    for (const n of names) if (!all.some((t) => t.name === n)) throw new TreluError('E_USAGE', `--trainable '${n}' is not a parameter of ${input}`);
    c = { ...c, trainable: all.filter((t) => names.has(t.name)), frozen: all.filter((t) => !names.has(t.name)) };
  }
  const st = to === 'safetensors' ? ortToSafetensors(c) : undefined;
  const bytes = st ? encodeSafetensors(toNamedTensors(st), st.metadata) : writeOrtCheckpoint(c);
  writeFileAtomic(path.resolve(output), bytes);
  const summary = { input, inputFormat: format, output, outputFormat: to, trainable: c.trainable.length, frozen: c.frozen.length, optimizerGroups: c.optimizerGroups.length, bytes: bytes.length };
  if (options.json) printJson(io, summary);
  else io.out(`wrote ${output} (${to === 'ort' ? 'ORT training checkpoint' : 'safetensors'}, ${c.trainable.length} trainable + ${c.frozen.length} frozen parameters${c.optimizerGroups.length ? ', optimizer state' : ''}, ${formatBytes(bytes.length)})`);
  return EXIT_OK;
}

/** An ORT checkpoint's bytes as a `trelu train` checkpoint (safetensors bytes) for the artifacts of `manifest`. */
export function ortCheckpointForArtifacts(bytes: Uint8Array, manifest: Manifest, source: string): Uint8Array {
  const t = treluCheckpointFromOrt(readOrtCheckpoint(bytes, source), manifest, source);
  return encodeSafetensors(t.tensors, t.metadata);
}

/** `--for <artifacts dir>`: a checkpoint that `trelu train --resume` / `trelu export --checkpoint` take for those artifacts. */
function convertForArtifacts(io: Io, input: string, output: string, dir: string, json?: boolean): number {
  assertSafeOutput(output, [{ path: input, role: 'the input checkpoint' }]);
  const { manifest } = readArtifactsDir(dir);
  const { checkpoint } = readCheckpointFile(input);
  const t = treluCheckpointFromOrt(checkpoint, manifest, input);
  const bytes = encodeSafetensors(t.tensors, t.metadata);
  writeFileAtomic(path.resolve(output), bytes);
  if (json) printJson(io, { input, output, artifacts: dir, tensors: t.tensors.length, step: Number(t.metadata.step), bytes: bytes.length });
  else io.out(`wrote ${output} (a trelu train checkpoint for ${dir}: ${t.tensors.length} tensors, step ${t.metadata.step}, ${formatBytes(bytes.length)})`);
  return EXIT_OK;
}
