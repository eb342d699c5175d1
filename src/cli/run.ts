/** `trelu run <model>`: run on one or more EPs, with inputs, timing, outputs as .npy and node placement. */
import path from 'node:path';
import { EXIT_CHECK_FAILED, EXIT_OK, TreluError } from '../errors.js';
import { loadModelFile } from '../node/model-file.js';
import { modelFromProto } from '../graph/from-proto.js';
import { buildFeeds, parseDims } from '../runtime/feeds.js';
import { parseInputSpec } from '../runtime/inputs.js';
import { runModel, type EpRunResult } from '../runtime/run-model.js';
import { sharedBackends } from '../runtime/run-once.js';
import { writeNpyFiles } from '../node/npy-files.js';
import { assertSafeOutputDir, inputFilesOf, type InputFile } from '../node/output-safety.js';
import { printJson, type Io } from './output.js';

export interface RunCliOptions {
  ep?: string[];
  input?: string[];
  dim?: string[];
  output?: string;
  repeat?: string;
  seed?: string;
  strictEp?: boolean;
  json?: boolean;
}

export function splitList(values: readonly string[] | undefined, fallback: string[]): string[] {
  const out = (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  return out.length ? out : fallback;
}

function parseCount(text: string | undefined, flag: string, dflt: number): number {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text)) throw new TreluError('E_USAGE', `${flag} '${text}' is not a non-negative integer`);
  return Number(text);
}

export async function runCommand(io: Io, file: string, options: RunCliOptions): Promise<number> {
  const eps = splitList(options.ep, ['cpu']);
  const repeat = parseCount(options.repeat, '--repeat', 10);
  const seed = parseCount(options.seed, '--seed', 0);
  const backends = sharedBackends();
  for (const ep of eps) backends.get(ep); // unknown names are usage errors before any work
  if (options.output) assertSafeOutputDir(options.output, `--output ${options.output}`);
  const loaded = loadModelFile(file);
  const feeds = buildFeeds(modelFromProto(loaded.model), { inputs: (options.input ?? []).map(parseInputSpec), dims: parseDims(options.dim), seed });
  const results: (EpRunResult | { ep: string; error: string; hint?: string })[] = [];
  let code = EXIT_OK;
  for (const ep of eps) {
    try {
      const r = await runModel(backends.get(ep), loaded.path, feeds, {
        repeat, strictEp: options.strictEp,
        onProgress: options.json || repeat < 50 ? undefined : (i, n) => { if (i % 50 === 0) process.stderr.write(`  ${ep}: run ${i}/${n}\r`); },
      });
      results.push(r);
      if (options.output) writeOutputs(options.output, eps.length > 1 ? ep : '', r, inputFilesOf(loaded));
    } catch (e) {
      if (!(e instanceof TreluError)) throw e;
      results.push({ ep, error: e.message, hint: e.hint });
      code = EXIT_CHECK_FAILED;
    }
  }
  if (options.json) {
    printJson(io, { model: file, inputs: describe(feeds), results: results.map((r) => ('error' in r ? r : { ...r, outputs: describe(r.outputs) })) });
  } else {
    io.out(`inputs: ${Object.entries(describe(feeds)).map(([k, v]) => `${k} ${v.type}[${v.dims.join(',')}]`).join(', ')}`);
    for (const r of results) printResult(io, r, options.output);
  }
  return code;
}

function describe(ts: Record<string, { type: string; dims: readonly number[] }>) {
  return Object.fromEntries(Object.entries(ts).map(([k, t]) => [k, { type: t.type, dims: [...t.dims] }]));
}

function writeOutputs(dir: string, sub: string, r: EpRunResult, inputs: readonly InputFile[]): void {
  writeNpyFiles(path.join(dir, sub), r.outputs, inputs);
}

function printResult(io: Io, r: EpRunResult | { ep: string; error: string; hint?: string }, output: string | undefined): void {
  if ('error' in r) {
    io.out(`${r.ep}: FAILED: ${r.error}`);
    if (r.hint) io.out(`  hint: ${r.hint}`);
    return;
  }
  const t = r.timing;
  io.out(`${r.ep}: ${t.runs ? `median ${t.medianMs.toFixed(3)} ms, min ${t.minMs.toFixed(3)}, max ${t.maxMs.toFixed(3)} over ${t.runs} runs` : 'ran once'}`);
  for (const [name, v] of Object.entries(r.outputs)) io.out(`  output ${name}: ${v.type}[${v.dims.join(',')}]${output ? ' (written as .npy)' : ''}`);
  if (r.placement) {
    io.out(`  placement: ${Object.entries(r.placement.providers).map(([p, n]) => `${n} on ${p}`).join(', ')}`);
    if (r.placement.cpuFallback.length) io.out(`  warning: ${r.placement.cpuFallback.length} node(s) fell back to the CPU EP: ${r.placement.cpuFallback.map((n) => `${n.node} (${n.opType})`).join(', ')}`);
    for (const n of r.placement.thresholdedReluOnCpu) io.out(`  warning: ThresholdedRelu '${n}' ran on the CPU, not on ${r.ep} (use --strict-ep to refuse this)`);
  }
}
