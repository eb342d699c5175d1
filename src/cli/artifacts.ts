/** `trelu artifacts model.onnx --out dir/`: train_step.onnx, eval.onnx, checkpoint.safetensors, manifest.json, model.onnx. */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { EXIT_OK, TreluError } from '../errors.js';
import { loadModelFile, readExternalBytes } from '../node/model-file.js';
import { writeFileAtomic } from '../node/training-files.js';
import { assertSafeOutput, assertSafeOutputDir, inputFilesOf } from '../node/output-safety.js';
import { isExternal } from '../onnx/external-data.js';
import { encodeModel } from '../onnx/encode.js';
import { cloneShallow } from '../onnx/walk.js';
import { buildTrainingArtifacts, ARTIFACT_FILES } from '../train/artifacts/build.js';
import type { OptimizerKind } from '../train/optim/optimizers.js';
import { parseLossFn } from './loss-option.js';
import { LOSS_FUNCTIONS } from '../train/loss.js';
import { GRADIENT_RULES, maxPoolIndicesGrad, withRules } from '../train/rules/index.js';
import { printJson, type Io } from './output.js';
import { untieForArtifacts } from './untie.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';

export interface ArtifactsCliOptions {
  out?: string;
  loss?: string;
  lossFn?: string;
  on?: string;
  wrt?: string[];
  freeze?: string[];
  optimizer?: string;
  lr?: string;
  momentum?: string;
  nesterov?: boolean;
  weightDecay?: string;
  betas?: string;
  eps?: string;
  clipGradNorm?: string;
  accumulate?: string;
  maxpoolIndices?: boolean;
  untie?: boolean;
  json?: boolean;
}

export function parseNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new TreluError('E_USAGE', `${flag} takes a number, not '${v}'`);
  return n;
}

export async function artifactsCommand(io: Io, input: string, o: ArtifactsCliOptions): Promise<number> {
  if (!o.out) throw new TreluError('E_USAGE', 'say where to write the artifacts: --out dir/');
  const lossFn = parseLossFn(o.lossFn);
  if (!o.loss && !lossFn) throw new TreluError('E_USAGE', `name the loss: --loss-fn <fn> --on <output> (${LOSS_FUNCTIONS.join(', ')}), or --loss <output>`);
  const kind = (o.optimizer ?? 'sgd') as OptimizerKind;
  const betas = o.betas?.split(',').map((s) => parseNumber('--betas', s)!);
  if (betas && betas.length !== 2) throw new TreluError('E_USAGE', `--betas takes two numbers (0.9,0.999), not '${o.betas}'`);
  const loaded = loadModelFile(input);
  // Output safety before any work: never replace the input (or its external data), a FIFO, a device.
  assertSafeOutputDir(o.out, `--out ${o.out}`);
  for (const f of [...Object.values(ARTIFACT_FILES), 'manifest.json']) assertSafeOutput(path.join(o.out, f), inputFilesOf(loaded), path.join(o.out, f));
  if (fs.existsSync(path.join(o.out, 'manifest.json'))) throw new TreluError('E_USAGE', `${o.out} already holds training artifacts`, { hint: 'choose another --out (trelu never overwrites a training folder)' });
  // External tensors are read in (the artifacts are self-contained).
  let proto = cloneShallow(loaded.model);
  if (loaded.externalFiles.length) {
    proto.graph = cloneShallow(proto.graph!);
    proto.graph.initializer = proto.graph.initializer.map((t) => {
      if (!isExternal(t)) return t;
      const c = cloneShallow(t);
      c.rawData = readExternalBytes(loaded, t);
      c.dataLocation = 0;
      c.externalData = [];
      return c;
    });
  }
  const bytes = fs.readFileSync(loaded.path);
  // --untie: the model the artifacts start from, and model.onnx (what `trelu export` writes the weights into), has one tensor per reader.
  const untied = o.untie ? untieForArtifacts(modelFromProto(proto)) : undefined;
  if (untied?.shared.length) proto = modelToProto(untied.model);
  const a = buildTrainingArtifacts(proto, {
    loss: o.loss,
    lossFn,
    on: o.on,
    wrt: untied ? untied.widen(o.wrt?.filter((w) => w !== 'params')) : o.wrt?.filter((w) => w !== 'params'),
    freeze: untied ? untied.widen(o.freeze) : o.freeze,
    optimizer: { kind, lr: parseNumber('--lr', o.lr) ?? (kind === 'adamw' ? 1e-3 : 0.01), momentum: parseNumber('--momentum', o.momentum), nesterov: o.nesterov, weightDecay: parseNumber('--weight-decay', o.weightDecay), betas: betas as [number, number] | undefined, eps: parseNumber('--eps', o.eps) },
    clipGradNorm: parseNumber('--clip-grad-norm', o.clipGradNorm),
    accumulate: parseNumber('--accumulate', o.accumulate),
    source: { file: path.basename(input), sha256: createHash('sha256').update(bytes).digest('hex') },
    ...(o.maxpoolIndices ? { rules: withRules(GRADIENT_RULES, maxPoolIndicesGrad) } : {}),
  });
  fs.mkdirSync(o.out, { recursive: true });
  const at = (f: string) => path.join(o.out!, f);
  writeFileAtomic(at(ARTIFACT_FILES.trainStep), encodeModel(a.trainStep));
  writeFileAtomic(at(ARTIFACT_FILES.eval), encodeModel(a.eval));
  writeFileAtomic(at(ARTIFACT_FILES.checkpoint), a.checkpoint);
  writeFileAtomic(at(ARTIFACT_FILES.model), loaded.externalFiles.length || untied?.shared.length ? encodeModel(proto) : new Uint8Array(bytes));
  writeFileAtomic(at('manifest.json'), JSON.stringify(a.manifest, null, 2) + '\n');
  const m = a.manifest;
  if (o.json) printJson(io, { out: o.out, manifest: m, ...(untied ? { untied: untied.shared } : {}) });
  else {
    const params = m.parameters.filter((p) => p.role === 'param');
    io.out(`train step: ${params.length} parameter(s) trained (${params.reduce((n, p) => n + p.shape.reduce((a2, d) => a2 * d, 1), 0)} values), optimizer ${m.optimizer.kind}${m.optimizer.nesterov ? ' (Nesterov)' : ''}, lr ${m.optimizer.lr}${m.accumulate > 1 ? `, gradients accumulated over ${m.accumulate} batches` : ''}${m.clipGradNorm !== undefined ? `, clip-grad-norm ${m.clipGradNorm}` : ''}`);
    const frozen = m.parameters.filter((p) => p.role === 'frozen');
    if (frozen.length) io.out(`  frozen: ${frozen.map((p) => p.initializer).join(', ')}`);
    const buffers = m.parameters.filter((p) => p.role === 'buffer');
    if (buffers.length) io.out(`  running statistics: ${buffers.length} (BatchNormalization in training mode)`);
    if (m.dropouts.length) io.out(`  dropout masks: ${m.dropouts.map((d) => d.input).join(', ')}`);
    io.out(`  inputs: ${m.trainStep.inputs.filter((e) => !e.key).map((e) => e.name).join(', ')} + state`);
    io.out(`  outputs: ${m.trainStep.outputs.filter((e) => !e.key).map((e) => e.name).join(', ')} + new state`);
    for (const l of untied?.lines() ?? []) io.out(`  ${l}`);
    if (untied && !untied.shared.length) io.out('  untie: no initializer is read by several nodes');
    for (const n of m.notes) io.out(`  note: ${n}`);
    io.out(`wrote ${o.out}/{${Object.values(ARTIFACT_FILES).join(',')},manifest.json}`);
  }
  return EXIT_OK;
}
