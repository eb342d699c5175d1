/**
 * `trelu artifacts <model> <out-dir> --format ort`: the four artifacts of ORT's
 * on-device training (training_model.onnx, eval_model.onnx,
 * optimizer_model.onnx, checkpoint), as ORT's generate_artifacts names them.
 * The integrator wires `artifactsOrtCommand` into `trelu artifacts`:
 * `addOrtArtifactOptions(cmd)` declares the options below (their names are
 * ArtifactsOrtOptions'), `ORT_ARTIFACT_OPTIONS_HELP` is the help text.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import path from 'node:path';
import { EXIT_OK, TreluError } from '../errors.js';
import { loadModelFile } from '../node/model-file.js';
import { PendingFile } from '../node/file-io.js';
import { assertSafeOutput, assertSafeOutputDir, inputFilesOf } from '../node/output-safety.js';
import { modelFromProto } from '../graph/from-proto.js';
import { encodeModel } from '../onnx/encode.js';
import { buildOrtArtifacts } from '../train/ort/artifacts.js';
import { ORT_DEFAULT_LEARNING_RATE, type OptimizerSpec } from '../train/ort/optimizer-model.js';
import { parseLossFn } from './loss-option.js';
import { LOSS_FN_HELP } from './loss-help.js';
import { printJson, formatBytes, type Io } from './output.js';
import { untieForArtifacts } from './untie.js';

export interface ArtifactsOrtOptions {
  loss?: string;
  lossFn?: string;
  on?: string;
  /** Names (comma-separated allowed) or 'params' (default). */
  wrt?: string[];
  frozen?: string[];
  /** `trelu artifacts`' name for frozen (names or /regex/), taken as well. */
  freeze?: string[];
  optimizer?: string;
  lr?: string;
  weightDecay?: string;
  betas?: string;
  eps?: string;
  adamMode?: string;
  clipGradNorm?: string;
  /** Put the learning rate into the optimizer graph (onnxruntime-web cannot set it). */
  scaleLr?: boolean;
  keepOutputs?: boolean;
  /** Give each reader of a shared initializer its own tensor first (see untieSharedWeights). */
  untie?: boolean;
  json?: boolean;
}

export const ORT_ARTIFACT_FILES = ['training_model.onnx', 'eval_model.onnx', 'optimizer_model.onnx', 'checkpoint'] as const;

export const ORT_ARTIFACT_OPTIONS_HELP = [
  '--format ort: ORT on-device training artifacts (onnxruntime-training, onnxruntime-web 1.17-1.19 training):',
  '  --optimizer adamw|sgd   (ORT 1.19 runtimes train with AdamW only)',
  '  --lr, --weight-decay, --betas b1,b2, --eps, --adam-mode torch|huggingface, --clip-grad-norm N',
  `  --scale-lr              ORT feeds ${ORT_DEFAULT_LEARNING_RATE} unless the app sets the rate; this bakes lr/${ORT_DEFAULT_LEARNING_RATE} into the optimizer (for onnxruntime-web, which cannot)`,
  '  --frozen names          parameters kept in the checkpoint without gradients',
].join('\n');

/**
 * The --format ort options on a commander command (`--loss`, `--loss-fn`, `--on`, `--wrt`, `--json`
 * are expected to be declared by `trelu artifacts` already; pass `{ common: true }` to add them too).
 */
export function addOrtArtifactOptions(cmd: Command, options: { common?: boolean } = {}): Command {
  if (options.common) {
    cmd.option('--loss <name>', 'an existing scalar loss output')
      .option('--loss-fn <fn>', LOSS_FN_HELP)
      .option('--on <output>', 'the output the appended loss reads')
      .option('--wrt <names...>', "parameters to train, or 'params' (every float initializer)")
      .option('--keep-outputs', "keep the model's outputs after the loss")
      .option('--json', 'print what was written as JSON');
  }
  return cmd
    .option('--frozen <names...>', 'parameters kept in the checkpoint without gradients (ORT: frozen_params)')
    .option('--optimizer <name>', 'adamw or sgd (ORT 1.19 runtimes: adamw only)', 'adamw')
    .option('--lr <rate>', 'learning rate (the checkpoint\'s initial_learning_rate)')
    .option('--weight-decay <w>', 'AdamW weight decay (default 0.01, as torch)')
    .option('--betas <b1,b2>', 'AdamW betas (default 0.9,0.999)')
    .option('--eps <eps>', 'AdamW epsilon (default 1e-8, as torch)')
    .option('--adam-mode <mode>', 'torch (torch.optim.AdamW) or huggingface (transformers\' AdamW, ORT\'s generator\'s choice)', 'torch')
    .option('--clip-grad-norm <n>', 'InplaceClipGradNorm to this global L2 norm before the update')
    .option('--scale-lr', `train at --lr where ORT feeds its default ${ORT_DEFAULT_LEARNING_RATE} (onnxruntime-web cannot set the rate)`);
}

const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TreluError('E_USAGE', `${flag} '${v}' is not a number`);
  return n;
};
const names = (xs: string[] | undefined) => (xs ?? []).flatMap((s) => (/^\/.*\/$/.test(s) ? [s] : s.split(','))).map((s) => s.trim()).filter(Boolean);

/** Names, and `/regex/` patterns matched against the model's initializers (as `trelu artifacts` takes them). */
function expand(list: string[], initializers: readonly string[], flag: string): string[] {
  return [...new Set(list.flatMap((item) => {
    const re = /^\/(.*)\/$/.exec(item);
    if (!re) return [item];
    let pattern: RegExp;
    try {
      pattern = new RegExp(re[1]!);
    } catch {
      throw new TreluError('E_USAGE', `${flag} ${item}: not a valid regular expression`);
    }
    const hits = initializers.filter((n) => pattern.test(n));
    if (!hits.length) throw new TreluError('E_USAGE', `${flag} ${item} matches no initializer`);
    return hits;
  }))];
}

export function optimizerFromOptions(o: ArtifactsOrtOptions): OptimizerSpec {
  const type = o.optimizer ?? 'adamw';
  const learningRate = num(o.lr, '--lr') ?? ORT_DEFAULT_LEARNING_RATE;
  if (type === 'sgd') return { type: 'sgd', learningRate };
  if (type !== 'adamw') throw new TreluError('E_USAGE', `--optimizer '${type}' is not adamw or sgd`);
  const betas = o.betas?.split(',').map((b) => num(b, '--betas')!);
  if (betas && betas.length !== 2) throw new TreluError('E_USAGE', '--betas takes two numbers: b1,b2');
  if (o.adamMode && o.adamMode !== 'torch' && o.adamMode !== 'huggingface') throw new TreluError('E_USAGE', `--adam-mode '${o.adamMode}' is not torch or huggingface`);
  return { type: 'adamw', learningRate, weightDecay: num(o.weightDecay, '--weight-decay'), eps: num(o.eps, '--eps'), ...(betas ? { betas: betas as [number, number] } : {}), ...(o.adamMode ? { mode: o.adamMode as 'torch' | 'huggingface' } : {}) };
}

export function artifactsOrtCommand(io: Io, input: string, outDir: string, options: ArtifactsOrtOptions): number {
  const lossFn = parseLossFn(options.lossFn);
  const loaded = loadModelFile(input);
  const model = modelFromProto(loaded.model);
  const untied = options.untie ? untieForArtifacts(model) : undefined;
  const initializers = model.graph.initializers.map((v) => v.name);
  const widen = (xs: string[]) => untied?.widen(xs) ?? xs;
  const wrt = widen(expand(names(options.wrt), initializers, '--wrt'));
  const frozen = widen(expand([...names(options.frozen), ...names(options.freeze)], initializers, '--freeze'));
  const optimizer = optimizerFromOptions(options);
  const everything = !wrt.length || (wrt.length === 1 && wrt[0] === 'params');
  const a = buildOrtArtifacts(model, {
    loss: options.loss, lossFn, on: options.on,
    requiresGrad: everything ? 'params' : wrt,
    frozen, optimizer, clipGradNorm: num(options.clipGradNorm, '--clip-grad-norm'),
    scaleLearningRate: options.scaleLr, keepOutputs: options.keepOutputs,
  });
  const contents: Record<(typeof ORT_ARTIFACT_FILES)[number], Uint8Array> = {
    'training_model.onnx': encodeModel(a.trainingModel),
    'eval_model.onnx': encodeModel(a.evalModel),
    'optimizer_model.onnx': encodeModel(a.optimizerModel),
    checkpoint: a.checkpointBytes,
  };
  if (fs.existsSync(outDir)) {
    assertSafeOutputDir(outDir);
    // As `trelu artifacts` does: a folder that holds artifacts already is not written over (a checkpoint there may be a trained one).
    const present = ORT_ARTIFACT_FILES.filter((n) => fs.existsSync(path.join(outDir, n)));
    if (present.length) throw new TreluError('E_USAGE', `${outDir} holds ORT artifacts already (${present.join(', ')}); refusing to replace them`, { hint: 'write to a new folder' });
  } else fs.mkdirSync(outDir, { recursive: true });
  const inputs = inputFilesOf(loaded);
  const pending: PendingFile[] = [];
  try {
    // Every file is written under a temporary name first; renames happen only when all four are complete.
    for (const name of ORT_ARTIFACT_FILES) {
      const target = path.join(outDir, name);
      assertSafeOutput(target, inputs);
      const f = new PendingFile(path.resolve(target));
      pending.push(f);
      f.write(contents[name]);
      f.close();
    }
    for (const f of pending) f.commit();
  } catch (e) {
    for (const f of pending) f.abort();
    throw e;
  }
  const warnings = [...a.report.gradient.warnings];
  if (optimizer.type === 'sgd') warnings.push('ORT 1.19 training runtimes (the last onnxruntime-web with training) support AdamW only and refuse an SGD optimizer model; SGD follows the layout of later ORT runtimes');
  if (!options.scaleLr && optimizer.learningRate !== ORT_DEFAULT_LEARNING_RATE) warnings.push(`ORT trains at ${ORT_DEFAULT_LEARNING_RATE} until the app sets the rate (SetLearningRate); onnxruntime-web cannot: add --scale-lr to train at ${optimizer.learningRate} there`);
  const summary = { input, outDir, files: ORT_ARTIFACT_FILES.map((n) => ({ name: n, bytes: contents[n].length })), loss: a.report.loss, trainable: a.report.trainable, frozen: a.report.frozen, userInputs: a.report.userInputs, optimizer, warnings };
  if (options.json) printJson(io, { ...summary, ...(untied ? { untied: untied.shared } : {}) });
  else {
    io.out(`loss: ${a.report.loss}; inputs to feed: ${a.report.userInputs.join(', ')}`);
    io.out(`trainable: ${a.report.trainable.length} parameter(s)${a.report.frozen.length ? `, frozen: ${a.report.frozen.length}` : ''}; optimizer: ${optimizer.type}, lr ${optimizer.learningRate}`);
    for (const l of untied?.lines() ?? []) io.out(l);
    if (untied && !untied.shared.length) io.out('untie: no initializer is read by several nodes');
    for (const n of ORT_ARTIFACT_FILES) io.out(`wrote ${path.join(outDir, n)} (${formatBytes(contents[n].length)})`);
    for (const w of warnings) io.err(`warning: ${w}`);
  }
  return EXIT_OK;
}
