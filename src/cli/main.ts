/**
 * The `trelu` command line. Thin: parses arguments with commander and calls
 * the library. Exit codes: 0 ok, 1 a check failed, 2 bad input or usage.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_BAD_INPUT } from '../errors.js';
import { inspectCommand } from './inspect.js';
import { convertCommand } from './convert.js';
import { demoCommand } from './demo.js';
import { validateCommand } from './validate.js';
import { processIo, reportError, type Io } from './output.js';

const VERSION = '0.1.0';

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('trelu')
    .description('Read, validate, rewrite, run and differentiate ONNX models around ThresholdedRelu.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });

  const run = (fn: () => number) => {
    try {
      setExit(fn());
    } catch (e) {
      setExit(reportError(io, e));
    }
  };

  program
    .command('inspect')
    .description('Summarize a model: IR version, opsets, ops, inputs/outputs, initializers, external data, ThresholdedRelu nodes.')
    .argument('<model>', 'an .onnx file')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExamples:\n  trelu inspect models/mlp.onnx\n  trelu inspect model.onnx --json | jq .thresholdedRelu')
    .action((model: string, opts: { json?: boolean }) => run(() => inspectCommand(io, model, opts)));

  program
    .command('validate')
    .description('Check every ThresholdedRelu node against the ONNX spec and, with --ep, against what ONNX Runtime EPs can run. Exit 1 if errors are found.')
    .argument('<model>', 'an .onnx file')
    .option('--ep <name...>', 'execution providers to check: cpu, wasm, webgpu, jsep-webgpu, cuda, rocm (repeat or comma-separate)')
    .option('--json', 'print the findings as JSON')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu validate model.onnx',
      '  trelu validate model.onnx --ep cpu --ep webgpu',
      '  trelu validate model.onnx --ep cuda,webgpu --json | jq \'.findings[] | select(.severity == "error")\'',
      '',
      'Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 unreadable input.',
    ].join('\n'))
    .action((model: string, opts: { ep?: string[]; json?: boolean }) => run(() => validateCommand(io, model, opts)));

  program
    .command('convert')
    .description('Re-write a model, optionally moving tensors into external data or back inline. Never overwrites the input.')
    .argument('<in>', 'input .onnx file')
    .argument('<out>', 'output .onnx file')
    .option('--external-data <file>', 'store tensors in this file (relative to the output\'s directory)')
    .option('--size-threshold <bytes>', 'with --external-data: only tensors of at least this many bytes (default 1024)')
    .option('--inline-data', 'read all external tensors back into the model file')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', [
      '',
      'Examples:',
      '  trelu convert big.onnx out/big.onnx --external-data big.onnx.data',
      '  trelu convert big.onnx small.onnx --external-data w.bin --size-threshold 4096',
      '  trelu convert split.onnx whole.onnx --inline-data',
    ].join('\n'))
    .action((input: string, output: string, opts: Parameters<typeof convertCommand>[3]) => run(() => convertCommand(io, input, output, opts)));

  program
    .command('demo')
    .description('The main job on a sample model (what `npm start` runs).')
    .option('--model <file>', 'use this model instead of models/mlp.onnx')
    .action((opts: { model?: string }) => run(() => demoCommand(io, opts)));

  return program;
}

/** Runs the CLI; returns the exit code (does not call process.exit, so tests can call it). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
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
