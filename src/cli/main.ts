/**
 * The `trelu` command line. Thin: parses arguments with commander and calls
 * the library. Exit codes: 0 ok, 1 a check failed, 2 bad input or usage.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_BAD_INPUT } from '../errors.js';
import { LOSS_FN_HELP } from './loss-help.js';
// Each command's module is imported when that command runs (not at start-up): the CLI's ~250
// modules cost ~0.15 s to load, which `trelu replace` on a large model paid against `cp` (bench:io).
import type { runCommand } from './run.js';
import type { checkEpsCommand } from './check-eps.js';
import type { gradCommand } from './grad.js';
import type { convertCommand } from './convert.js';
import type { RewriteCliOptions, Transform } from './rewrite.js';
import type { PlotOptions } from './plot.js';
import { guardPipes, processIo, reportError, type Io } from './output.js';
import { registerTrainingCommands } from './training-commands.js'; // i13: trelu artifacts/train/export

const VERSION = '0.1.0';

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('trelu')
    .description('Read, validate, rewrite, run and differentiate ONNX models around ThresholdedRelu.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });

  const runAsync = async (fn: () => Promise<number>) => {
    try {
      setExit(await fn());
    } catch (e) {
      setExit(reportError(io, e));
    }
  };
  const rewriteOptions = (cmd: Command) => cmd
    .option('--verify', 'run the original and the rewritten model in onnxruntime-node on seeded inputs and compare')
    .option('--input <name=source...>', 'with --verify: input data (file.npy, file.pb, inline JSON, random[:seed])')
    .option('--dim <NAME=SIZE...>', 'with --verify: sizes for symbolic dims (default 2)')
    .option('--shape <name=D1,D2...>', 'with --verify: the whole shape of a generated input (for unnamed dims, float32[?,?])')
    .option('--seed <n>', 'with --verify: seed for random inputs', '0')
    .option('--atol <x>', 'with --verify: absolute tolerance (default 0: exact)')
    .option('--rtol <x>', 'with --verify: relative tolerance (default 0: exact)')
    .option('--allow-unchecked', 'with --verify: accept changes that cannot be checked by execution (inside If/Loop/Scan bodies or functions)')
    .option('--allow-noop', 'write the copy even when nothing changes (otherwise exit 1, nothing written)')
    .option('--dry-run', 'print what would change; write nothing')
    .option('--json', 'print the changes (and verification) as JSON');
  type Rewrite = typeof import('./rewrite.js');
  const rewriteAction = (name: string, makeTransform: (opts: Record<string, unknown>, r: Rewrite) => Transform) =>
    (input: string, output: string, opts: RewriteCliOptions & Record<string, unknown>) =>
      runAsync(async () => {
        const r = await import('./rewrite.js');
        return r.rewriteCommand(io, name, input, output, opts, makeTransform(opts, r));
      });

  program
    .command('inspect')
    .description('Summarize a model: IR version, opsets, ops, inputs/outputs, initializers, external data, ThresholdedRelu nodes.')
    .argument('<model>', 'an .onnx file')
    .option('--nodes', 'also list every node: name, op, inputs → outputs with inferred types, subgraphs')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExamples:\n  trelu inspect models/mlp.onnx\n  trelu inspect model.onnx --nodes | grep Relu\n  trelu inspect model.onnx --json | jq .thresholdedRelu')
    .action((model: string, opts: { json?: boolean; nodes?: boolean }) => runAsync(async () => (await import('./inspect.js')).inspectCommand(io, model, opts)));

  program
    .command('validate')
    .description('Check every ThresholdedRelu node against the ONNX spec and, with --ep, against what ONNX Runtime EPs can run. Exit 1 if errors are found.')
    .argument('<model>', 'an .onnx file')
    .option('--ep <name...>', 'execution providers to check: cpu, wasm, webgpu, jsep-webgpu, cuda, rocm (repeat or comma-separate)')
    .option('--full', "also check the model's structure as onnx.checker does: topological order, single assignment, required fields, ops registered at the model's opsets, attribute types, subgraph scoping")
    .option('--json', 'print the findings as JSON')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu validate model.onnx',
      '  trelu validate model.onnx --ep cpu --ep webgpu',
      '  trelu validate model.onnx --full',
      '  trelu validate model.onnx --ep cuda,webgpu --json | jq \'.findings[] | select(.severity == "error")\'',
      '',
      'Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 unreadable input.',
    ].join('\n'))
    .action((model: string, opts: { ep?: string[]; json?: boolean; full?: boolean }) => runAsync(async () => (await import('./validate.js')).validateCommand(io, model, opts)));

  rewriteOptions(program
    .command('replace')
    .description('Replace activations with ThresholdedRelu(alpha). Relu → alpha 0 is the same function except at NaN; other alphas and other ops change it on purpose, and the report says how.')
    .argument('<in>', 'input .onnx file')
    .argument('<out>', 'output .onnx file')
    .option('--from <ops>', 'op types to replace, comma-separated (Relu, LeakyRelu, Clip, Elu, Selu, Celu, Gelu, Softplus)', 'Relu')
    .option('--alpha <a>', 'alpha of the new nodes', '0')
    .option('--nodes <names|/regex/>', 'only these nodes (comma-separated names, or /regex/ on node names)'))
    .addHelpText('after', '\nExamples:\n  trelu replace models/mlp.onnx out.onnx --verify\n  trelu replace model.onnx out.onnx --from Relu --alpha 0.1 --nodes /^layer4/ --json')
    .action(rewriteAction('replace', (o, r) => r.transforms.replace(String(o.from).split(',').map((s) => s.trim()).filter(Boolean), r.parseAlpha(o.alpha as string), r.parseNodeSelector(o.nodes as string | undefined))));

  rewriteOptions(program
    .command('insert')
    .description('Add a ThresholdedRelu on tensors; every consumer (and the graph output) moves to its result.')
    .argument('<in>', 'input .onnx file')
    .argument('<out>', 'output .onnx file')
    .requiredOption('--after <names...>', 'tensor names, or names of single-output nodes')
    .option('--alpha <a>', 'alpha of the new nodes', '1'))
    .addHelpText('after', '\nExamples:\n  trelu insert models/mlp.onnx out.onnx --after fc1 --alpha 0.5 --verify')
    .action(rewriteAction('insert', (o, r) => r.transforms.insert((o.after as string[]).flatMap((s) => s.split(',')), r.parseAlpha(o.alpha as string))));

  rewriteOptions(program
    .command('fuse')
    .description('Replace decomposed forms (Where/Greater, Where/Less, Not/Greater, ONNX\'s function body, PyTorch\'s exports; Mul/Cast/Greater with --allow-nan-change) with one ThresholdedRelu where the meaning is identical.')
    .argument('<in>', 'input .onnx file')
    .argument('<out>', 'output .onnx file')
    .option('--allow-nan-change', 'also fuse forms that differ for NaN/-inf inputs (Mul/Cast/Greater, LessOrEqual)'))
    .addHelpText('after', '\nExamples:\n  trelu fuse exported.onnx fused.onnx --verify\n  trelu fuse keras.onnx fused.onnx --allow-nan-change --dry-run')
    .action(rewriteAction('fuse', (o, r) => r.transforms.fuse(!!o.allowNanChange)));

  rewriteOptions(program
    .command('decompose')
    .description('Replace every ThresholdedRelu with Where(Less(CastLike(alpha, X), X), X, CastLike(0, X)) for runtimes without the op; the inverse of fuse.')
    .argument('<in>', 'input .onnx file')
    .argument('<out>', 'output .onnx file'))
    .addHelpText('after', '\nExamples:\n  trelu decompose model.onnx portable.onnx --verify')
    .action(rewriteAction('decompose', (_o, r) => r.transforms.decompose()));

  program
    .command('run')
    .description('Run a model on ONNX Runtime execution providers: inputs from files or seeded random data, outputs as .npy, timing, and where each node ran.')
    .argument('<model>', 'an .onnx file')
    .option('--ep <names...>', 'cpu, webgpu, wasm, cuda, tensorrt (repeat or comma-separate)', ['cpu'])
    .option('--input <name=source...>', 'file.npy, file.pb, inline JSON, or random[:seed]')
    .option('--dim <NAME=SIZE...>', 'sizes for symbolic dims (default 2)')
    .option('--shape <name=D1,D2...>', 'the whole shape of a generated input (for unnamed dims, float32[?,?])')
    .option('--output <dir>', 'write each output as <dir>/<ep>/<name>.npy (the report lists each file)')
    .option('--save-inputs <dir>', 'write the inputs used as <dir>/<name>.npy, to replay the run with --input')
    .option('--repeat <n>', 'timed runs after a warm-up', '10')
    .option('--seed <n>', 'seed for random inputs', '0')
    .option('--max-elements <n>', 'largest random input, in elements (default 268435456 = 2^28)')
    .option('--strict-ep', 'fail instead of letting ORT run nodes the EP lacks on the CPU')
    .option('--params <dir>', "a gradient model's parameters: the <out>.params folder trelu grad wrote (its manifest.json)")
    .option('--json', 'JSON output')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu run models/mlp.onnx --dim N=32 --repeat 100',
      '  trelu run model.onnx --ep webgpu --strict-ep --input x=x.npy --output out/',
      '  trelu run model.onnx --ep cpu,wasm,webgpu --json',
      '  trelu run wake.onnx --shape input=1,16,96 --save-inputs in/ --output out/',
      '',
      'WebGPU without a GPU: export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (apt-get install chromium libvulkan1).',
    ].join('\n'))
    .action((model: string, opts: Parameters<typeof runCommand>[2]) => runAsync(async () => (await import('./run.js')).runCommand(io, model, opts)));

  program
    .command('check-eps')
    .description('Run on every usable EP with the same inputs and compare each output with the CPU EP (and the reference kernel for ThresholdedRelu-only models). Exit 1 on a mismatch.')
    .argument('<model>', 'an .onnx file')
    .option('--ep <names...>', 'limit to these EPs (default: all that start here)')
    .option('--input <name=source...>', 'file.npy, file.pb, inline JSON, or random[:seed]')
    .option('--dim <NAME=SIZE...>', 'sizes for symbolic dims (default 2)')
    .option('--shape <name=D1,D2...>', 'the whole shape of a generated input (for unnamed dims)')
    .option('--seed <n>', 'seed for random inputs', '0')
    .option('--atol <x>', 'absolute tolerance (default: per dtype, float32 1e-4)')
    .option('--rtol <x>', 'relative tolerance (default: per dtype, float32 1e-3)')
    .option('--json', 'JSON output')
    .addHelpText('after', '\nExamples:\n  trelu check-eps out/mlp-trelu.onnx --dim N=16\n  trelu check-eps model.onnx --ep cpu,webgpu --json')
    .action((model: string, opts: Parameters<typeof checkEpsCommand>[2]) => runAsync(async () => (await import('./check-eps.js')).checkEpsCommand(io, model, opts)));

  program
    .command('grad')
    .description('Build the gradient model: the loss and one <name>_grad output per differentiated tensor, from standard ONNX ops, runnable in a stock InferenceSession.')
    .argument('<in>', 'input .onnx file')
    .argument('<out>', 'output .onnx file')
    .option('--loss <output>', 'a scalar output (or tensor) the model already computes')
    .option('--loss-fn <fn>', `${LOSS_FN_HELP}; adds a labels input`)
    .option('--on <output>', 'with --loss-fn: the output the loss is computed on')
    .option('--wrt <names...>', 'tensors to differentiate with respect to, or params (every float initializer a gradient can flow into: not empty, read at a differentiable input)')
    .option('--keep-outputs', 'keep the original outputs next to the loss and gradients')
    .option('--maxpool-indices', "MaxPool gradients through MaxPool's Indices output: faster on ORT cpu, but ORT's WebGPU EP cannot run it")
    .option('--untie', 'give each reader of a shared initializer its own parameter (weights an exporter merged because they were equal)')
    .option('--check', 'before writing, compare every gradient with central finite differences (exit 1 above tolerance, on NaN, or if a tensor could not be checked; nothing written then)')
    .option('--check-samples <n>', 'with --check: elements sampled per tensor (default 6)')
    .option('--allow-unchecked', 'with --check: tensors whose samples all sat on a kink do not fail the check')
    .option('--input <name=source...>', 'with --check: input data')
    .option('--dim <NAME=SIZE...>', 'with --check: sizes for symbolic dims (default 2)')
    .option('--seed <n>', 'with --check: seed', '0')
    .option('--json', 'JSON output')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu grad out/mlp-trelu.onnx out/mlp-grad.onnx --loss-fn cross-entropy --on logits --wrt params --check',
      '  trelu grad model.onnx grad.onnx --loss loss --wrt fc1.weight,fc1.bias --json',
      '  trelu grad squeezenet.onnx grad.onnx --loss-fn cross-entropy --on logits --wrt params --untie',
      '  trelu run grad.onnx --params grad.params --input input=x.npy --input labels=y.npy',
    ].join('\n'))
    .action((input: string, output: string, opts: Parameters<typeof gradCommand>[3]) => runAsync(async () => (await import('./grad.js')).gradCommand(io, input, output, opts)));

  program
    .command('doctor')
    .description('Versions, which execution providers are bundled and which start here, the WebGPU adapter, the CUDA libraries, and how to get what is missing.')
    .option('--json', 'JSON output')
    .addHelpText('after', '\nExamples:\n  trelu doctor\n  VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json trelu doctor --json')
    .action((opts: { json?: boolean }) => runAsync(async () => (await import('./doctor.js')).doctorCommand(io, opts)));

  program
    .command('convert')
    .description('Re-write a model, optionally moving tensors into external data or back inline. Never overwrites the input.')
    .argument('<in>', 'input .onnx file')
    .argument('<out>', 'output .onnx file')
    .option('--external-data <file>', 'store tensors in this file (relative to the output\'s directory)')
    .option('--size-threshold <bytes>', 'with --external-data: only tensors of at least this many bytes (default 1024)')
    .option('--inline-data', 'read all external tensors back into the model file')
    .option('--opset <n>', 'upgrade the ai.onnx opset import to n, adapting nodes whose operator changed; refuses with the list of blocking nodes')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu convert big.onnx out/big.onnx --external-data big.onnx.data',
      '  trelu convert big.onnx small.onnx --external-data w.bin --size-threshold 4096',
      '  trelu convert split.onnx whole.onnx --inline-data',
      '  trelu convert old.onnx new.onnx --opset 13',
    ].join('\n'))
    .action((input: string, output: string, opts: Parameters<typeof convertCommand>[3]) => runAsync(async () => (await import('./convert.js')).convertCommand(io, input, output, opts)));

  program
    .command('clean')
    .description('List the temp files (.name.trelu-tmp-<pid>-<random>) that writers killed with -9 left behind; --remove deletes them. Files of running writers are never listed.')
    .argument('<dir...>', 'directories to look in')
    .option('--remove', 'delete the stale temp files')
    .option('--json', 'JSON output')
    .addHelpText('after', '\nExamples:\n  trelu clean out/\n  trelu clean out/ models/ --remove')
    .action((dirs: string[], opts: { remove?: boolean; json?: boolean }) => runAsync(async () => (await import('./clean.js')).cleanCommand(io, dirs, opts)));

  program
    .command('demo')
    .description('The main job on a sample model (what `npm start` runs).')
    .option('--model <file>', 'use this model instead of models/mlp.onnx')
    .option('--out <dir>', 'where to write the result', 'out')
    .option('--alpha <a>', 'alpha for the new ThresholdedRelu nodes', '0.5')
    .action((opts: { model?: string; out: string; alpha: string }) => runAsync(async () => (await import('./demo.js')).demoCommand(io, { model: opts.model, out: opts.out, alpha: (await import('./rewrite.js')).parseAlpha(opts.alpha) })));

  // --- trelu plot (issue 15, browser/plot) ---
  program
    .command('plot')
    .description("Plot f and f' of ThresholdedRelu from the reference kernel, with max(0, x - alpha) and max(x, alpha) dashed: SVG or PNG.")
    .option('--alpha <a...>', 'alpha values (repeat or comma-separate)', ['1'])
    .option('--range <lo,hi>', 'the x range', '-3,3')
    .option('--points <n>', 'samples over the range (alpha and the float32 above it are added)', '601')
    .requiredOption('--out <file>', 'plot.svg or plot.png')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu plot --alpha 1 --out plot.svg',
      '  trelu plot --alpha 1 --alpha 0.5 --range=-3,3 --out plot.png',
    ].join('\n'))
    .action((opts: PlotOptions) => runAsync(async () => (await import('./plot.js')).plotCommand(io, opts)));
  // --- end trelu plot ---

  // --- trelu artifacts, train, export (i13; src/cli/training-commands.ts) ---
  registerTrainingCommands(program, runAsync, io);

  // --- trelu checkpoint (issue 14, ORT training checkpoints) ---
  const checkpoint = program
    .command('checkpoint')
    .description('Training checkpoints: ORT\'s (FlatBuffer, ODTC) and safetensors.');
  checkpoint
    .command('show')
    .description('List what a checkpoint holds: parameters (trainable, frozen), optimizer state, properties. Exit 1 if --model is given and a parameter does not match it.')
    .argument('<file>', 'an ORT checkpoint or a .safetensors file')
    .option('--model <model>', 'also check every parameter against this model (name, element type, shape)')
    .option('--json', 'print it as JSON')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu checkpoint show artifacts/checkpoint',
      '  trelu checkpoint show weights.safetensors --model out/mlp-trelu.onnx',
      '  trelu checkpoint show artifacts/checkpoint --json | jq \'.trainable[].name\'',
      '',
      'Exit codes: 0 ok, 1 a parameter does not match --model, 2 unreadable or corrupt file.',
    ].join('\n'))
    .action((file: string, opts: { model?: string; json?: boolean }) => runAsync(async () => (await import('./checkpoint.js')).checkpointShowCommand(io, file, opts)));
  checkpoint
    .command('convert')
    .description('Convert between ORT\'s checkpoint and safetensors (both ways, optimizer state and properties included). Never overwrites the input.')
    .argument('<in>', 'an ORT checkpoint or a .safetensors file')
    .argument('<out>', 'the file to write (format from --to, else .safetensors or ORT)')
    .option('--to <format>', 'ort or safetensors')
    .option('--trainable <names...>', 'parameters to mark trainable (the rest frozen); default: as recorded, else every float tensor')
    .option('--for <artifacts-dir>', 'write a trelu train checkpoint for the artifacts in this folder (from an ORT checkpoint: parameters, AdamW moments, step)')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu checkpoint convert artifacts/checkpoint weights.safetensors',
      '  trelu checkpoint convert weights.safetensors artifacts/checkpoint --to ort',
      '  trelu checkpoint convert ort/checkpoint run/from-ort.safetensors --for run/   # then: trelu export run/ m.onnx --checkpoint run/from-ort.safetensors',
    ].join('\n'))
    .action((input: string, output: string, opts: { to?: string; trainable?: string[]; for?: string; json?: boolean }) => runAsync(async () => (await import('./checkpoint.js')).checkpointConvertCommand(io, input, output, opts)));
  // --- end trelu checkpoint ---

  return program;
}

/** Runs the CLI; returns the exit code (does not call process.exit, so tests can call it). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  if (io === processIo) guardPipes();
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_BAD_INPUT;
    }
    return reportError(io, e);
  }
  return code;
}
