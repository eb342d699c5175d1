/** `trelu export dir/ model.onnx`: the original model with the trained weights (or a PyTorch state_dict as safetensors). */
import fs from 'node:fs';
import path from 'node:path';
import { EXIT_OK, TreluError } from '../errors.js';
import { loadModelFile } from '../node/model-file.js';
import { saveModelFile } from '../node/save-model.js';
import { listCheckpoints, readArtifactsDir, writeFileAtomic } from '../node/training-files.js';
import { exportStateDict, exportTrainedModel } from '../train/trainer/export.js';
import { printJson, type Io } from './output.js';
import { assertSafeOutput, type InputFile } from '../node/output-safety.js';
import { ortCheckpointForArtifacts } from './checkpoint.js';
import { parseNumber } from './artifacts.js';

export interface ExportCliOptions {
  checkpoint?: string;
  format?: string;
  externalData?: string;
  sizeThreshold?: string;
  json?: boolean;
}

export function exportCommand(io: Io, dir: string, output: string, o: ExportCliOptions): number {
  const format = o.format ?? 'onnx';
  if (!['onnx', 'safetensors'].includes(format)) throw new TreluError('E_USAGE', `--format '${format}' is not onnx or safetensors`);
  const a = readArtifactsDir(dir);
  const ckpt = o.checkpoint ?? listCheckpoints(dir)[0]?.file ?? a.initialCheckpoint;
  if (!fs.existsSync(ckpt)) throw new TreluError('E_FILE_NOT_FOUND', `${ckpt}: no such checkpoint`);
  // Never overwrite what this reads (the folder's model, artifacts, checkpoints).
  const reads: InputFile[] = [a.model, a.trainStep, a.evalModel, a.initialCheckpoint, path.join(dir, 'manifest.json'), ckpt, ...listCheckpoints(dir).map((c) => c.file)].map((f) => ({ path: f, role: `a file of the training folder ${dir}` }));
  assertSafeOutput(output, reads);
  if (o.externalData) assertSafeOutput(path.join(path.dirname(output), o.externalData), reads, `--external-data ${o.externalData}`);
  let bytes: Uint8Array = new Uint8Array(fs.readFileSync(ckpt));
  // issue 14: an ORT training checkpoint (file identifier ODTC) is taken too, converted for these artifacts.
  if (String.fromCharCode(...bytes.subarray(4, 8)) === 'ODTC') bytes = ortCheckpointForArtifacts(bytes, a.manifest, ckpt);
  let written: string;
  if (format === 'safetensors') {
    writeFileAtomic(output, exportStateDict(a.manifest, bytes, ckpt));
    written = output;
  } else {
    const loaded = loadModelFile(a.model);
    const proto = exportTrainedModel(loaded.model, a.manifest, bytes, ckpt);
    const threshold = parseNumber('--size-threshold', o.sizeThreshold);
    written = saveModelFile(proto, output, { source: loaded, ...(o.externalData ? { externalData: { location: o.externalData, sizeThreshold: threshold } } : {}) }).path;
  }
  const step = /step-(\d+)/.exec(ckpt)?.[1];
  if (o.json) printJson(io, { output: written, checkpoint: ckpt, format });
  else io.out(`wrote ${written} (${format}) with the weights of ${ckpt}${step ? ` (step ${Number(step)})` : ''}`);
  return EXIT_OK;
}
