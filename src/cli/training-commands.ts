/** Registers `trelu artifacts`, `trelu train` and `trelu export` (kept here so main.ts gains one line). */
import type { Command } from 'commander';
// The command modules are imported when their command runs (see main.ts).
import type { ArtifactsCliOptions } from './artifacts.js';
import type { TrainCliOptions } from './train.js';
import type { ExportCliOptions } from './export.js';
import type { ArtifactsOrtOptions } from './artifacts-ort.js';
import type { Io } from './output.js';
import { TreluError } from '../errors.js';
import { LOSS_FN_HELP } from './loss-help.js';

/** Options only one of the two artifact formats has. */
const ONLY_OURS = ['momentum', 'nesterov', 'accumulate', 'maxpoolIndices'] as const;
const ONLY_ORT = ['adamMode', 'scaleLr', 'keepOutputs'] as const;
const flag = (k: string) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** `--format trelu` (default: one train_step graph for a stock InferenceSession) or `--format ort` (ORT's four on-device artifacts). */
async function artifactsAction(io: Io, model: string, opts: ArtifactsCliOptions & ArtifactsOrtOptions & { format?: string }): Promise<number> {
  const format = opts.format ?? 'trelu';
  if (format !== 'trelu' && format !== 'ort') throw new TreluError('E_USAGE', `--format '${format}' is not trelu or ort`, { hint: 'trelu: train_step.onnx for a stock InferenceSession; ort: ORT\'s on-device training artifacts' });
  const wrong = (format === 'ort' ? ONLY_OURS : ONLY_ORT).filter((k) => (opts as Record<string, unknown>)[k] !== undefined);
  if (wrong.length) throw new TreluError('E_USAGE', `${wrong.map(flag).join(', ')} ${wrong.length > 1 ? 'are' : 'is'} not an option of --format ${format}`, { hint: format === 'ort' ? 'ORT\'s artifacts take --optimizer adamw|sgd, --lr, --weight-decay, --betas, --eps, --adam-mode, --clip-grad-norm, --scale-lr' : 'use --format ort for --adam-mode, --scale-lr and --keep-outputs' });
  if (format === 'trelu') return (await import('./artifacts.js')).artifactsCommand(io, model, { ...opts, optimizer: opts.optimizer ?? 'sgd' });
  if (!opts.out) throw new TreluError('E_USAGE', 'say where to write the artifacts: --out dir/');
  // ORT 1.19's training runtimes run AdamW only, so that is this format's default.
  return (await import('./artifacts-ort.js')).artifactsOrtCommand(io, model, opts.out, { ...opts, optimizer: opts.optimizer ?? 'adamw' });
}

export function registerTrainingCommands(program: Command, runAsync: (fn: () => Promise<number>) => Promise<void>, io: Io): void {
  program
    .command('artifacts')
    .description('Build training artifacts from standard ONNX ops: train_step.onnx (forward, loss, backward and optimizer update in one graph), eval.onnx, checkpoint.safetensors, manifest.json. They train in a stock InferenceSession of onnxruntime-node or -web, on any EP.')
    .argument('<model>', 'an .onnx file')
    .option('--out <dir>', 'the folder to write (must not hold artifacts already)')
    .option('--loss <output>', 'a scalar output the model already computes')
    .option('--loss-fn <fn>', `${LOSS_FN_HELP}; cross-entropy also adds accuracy`)
    .option('--on <output>', 'with --loss-fn: the output it is computed on')
    .option('--wrt <names...>', "parameters to train: names or /regex/ (default: the weights, as trelu grad's params, of rank >= 1: not BatchNormalization's running statistics, bounds, shapes or Resize scales)")
    .option('--freeze <names...>', 'parameters to keep fixed: names or /regex/')
    .option('--format <format>', "trelu (default): train_step.onnx etc. for a stock InferenceSession; ort: ORT's on-device artifacts (training_model.onnx, eval_model.onnx, optimizer_model.onnx, checkpoint)")
    .option('--optimizer <kind>', 'sgd, momentum or adamw (torch.optim semantics; default sgd, with --format ort adamw)')
    .option('--lr <x>', 'learning rate (default 0.01; adamw 0.001); the graph takes lr as an input, so schedules need no rebuild')
    .option('--momentum <x>', 'momentum (default 0.9)')
    .option('--nesterov', 'Nesterov momentum')
    .option('--weight-decay <x>', 'L2 for sgd/momentum, decoupled for adamw (default 0; adamw 0.01)')
    .option('--betas <b1,b2>', 'adamw betas (default 0.9,0.999)')
    .option('--eps <x>', 'adamw epsilon (default 1e-8)')
    .option('--clip-grad-norm <x>', 'clip the gradients\' global L2 norm to x before the update (torch.nn.utils.clip_grad_norm_)')
    .option('--accumulate <n>', 'accumulate gradients over n batches per update (the update uses their mean)')
    .option('--maxpool-indices', 'MaxPool gradients through Indices (faster on ORT cpu; ORT WebGPU cannot run it)')
    .option('--adam-mode <mode>', "with --format ort: torch (torch.optim.AdamW) or huggingface (transformers' AdamW, ORT's generator's choice)")
    .option('--scale-lr', 'with --format ort: bake --lr into the optimizer graph (ORT 1.19 runtimes always feed their default 0.001)')
    .option('--keep-outputs', "with --format ort: keep the model's outputs after the loss")
    .option('--untie', 'give each reader of a shared initializer its own parameter (weights an eval-mode export merged because they were equal train separately, as in the source model)')
    .option('--json', 'print the manifest as JSON')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu artifacts out/mlp-trelu.onnx --out out/mlp-train --loss-fn cross-entropy --on logits --optimizer adamw --lr 1e-3',
      '  trelu artifacts model.onnx --out run/ --loss-fn cross-entropy --on logits --optimizer momentum --nesterov --freeze /^layer1\\./',
      '  trelu artifacts squeezenet.onnx --out run/ --loss-fn cross-entropy --on logits --untie   # merged equal biases train apart',
      '  trelu artifacts out/mlp-trelu.onnx --out out/ort --format ort --loss-fn cross-entropy --on logits --lr 1e-3   # ORT on-device training',
    ].join('\n'))
    .action((model: string, opts: ArtifactsCliOptions & ArtifactsOrtOptions & { format?: string }) => runAsync(async () => artifactsAction(io, model, opts)));

  program
    .command('train')
    .description('Train the artifacts in <dir> on ONNX Runtime; checkpoints (atomic), metrics.jsonl and metrics.svg go there. Deterministic: --resume after a kill ends with the same parameters as an unbroken run.')
    .argument('<dir>', 'a folder made by trelu artifacts')
    .option('--data <file>', 'training data: file.npz (x, y), x.npy,y.npy, or file.csv[.gz] with --label')
    .option('--label <col>', 'CSV: the label column, by name or index (default: the last)')
    .option('--val <file>', 'validation data, same formats (eval.onnx, inference mode, after each epoch)')
    .option('--epochs <n>', 'epochs', '1')
    .option('--batch-size <n>', 'samples per step (the last batch of an epoch may be smaller)', '32')
    .option('--shuffle', 'shuffle each epoch (deterministic from --seed and the epoch)')
    .option('--seed <n>', 'seed of shuffling and Dropout masks', undefined)
    .option('--lr <x>', 'base learning rate (default: the artifacts\')')
    .option('--lr-schedule <s>', 'constant, linear or cosine (to 0 over the run)', 'constant')
    .option('--warmup <steps>', 'linear warmup steps', '0')
    .option('--ep <name>', 'cpu, webgpu or wasm', 'cpu')
    .option('--checkpoint-every <steps>', 'write a checkpoint every N steps (and always at the end)', '0')
    .option('--keep <k>', 'keep the newest K checkpoints (0: all)', '3')
    .option('--resume', 'continue from the newest checkpoint in <dir>')
    .option('--no-progress', 'no progress bar even on a terminal')
    .option('--json', 'print per-epoch metrics as JSON')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu train out/mlp-train --data models/digits.csv.gz --epochs 5 --batch-size 64 --shuffle --seed 1',
      '  trelu train run/ --data train.npz --val val.npz --lr-schedule cosine --warmup 100 --checkpoint-every 500 --resume',
      '',
      'Exit codes: 0 trained, 1 the loss diverged (NaN/inf; the last good checkpoint is kept), 2 bad input.',
    ].join('\n'))
    .action((dir: string, opts: TrainCliOptions) => runAsync(async () => (await import('./train.js')).trainCommand(io, dir, opts)));

  program
    .command('export')
    .description('Write the original model with the trained weights (everything else as it was), or the weights as a PyTorch state_dict in safetensors.')
    .argument('<dir>', 'a training folder')
    .argument('<out>', 'the output file')
    .option('--checkpoint <file>', 'which checkpoint (default: the newest in <dir>/checkpoints, else the initial one)')
    .option('--format <f>', 'onnx or safetensors', 'onnx')
    .option('--external-data <file>', 'onnx: keep tensors in this external data file (needed above 2 GB)')
    .option('--size-threshold <bytes>', 'with --external-data: only tensors of at least this size (default 1024)')
    .option('--json', 'JSON output')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu export out/mlp-train out/mlp-trained.onnx',
      '  trelu export run/ weights.safetensors --format safetensors   # torch: model.load_state_dict(safetensors.torch.load_file(...))',
    ].join('\n'))
    .action((dir: string, out: string, opts: ExportCliOptions) => runAsync(async () => (await import('./export.js')).exportCommand(io, dir, out, opts)));
}
