/** `trelu run <model>`: run on one or more EPs, with inputs, timing, output statistics, outputs as .npy and node placement. */
import path from 'node:path';
import { EXIT_CHECK_FAILED, EXIT_OK, TreluError } from '../errors.js';
import { loadModelFile } from '../node/model-file.js';
import { modelFromProto } from '../graph/from-proto.js';
import type { Model } from '../graph/model.js';
import { buildFeeds, parseDims, parseShapes } from '../runtime/feeds.js';
import { parseInputSpec } from '../runtime/inputs.js';
import { gradientParams } from '../node/params.js';
import { runModel, type EpRunResult } from '../runtime/run-model.js';
import { sharedBackends } from '../runtime/run-once.js';
import { parseEps, splitEpList } from '../runtime/eps.js';
import { tensorStats, formatStats } from '../runtime/tensor-stats.js';
import type { TensorLike } from '../runtime/tensor.js';
import { writeNpyFiles } from '../node/npy-files.js';
import { assertSafeOutputDir, inputFilesOf, type InputFile } from '../node/output-safety.js';
import { printJson, type Io } from './output.js';
import { ortModelSource } from './ort-model.js';

export interface RunCliOptions {
  ep?: string[];
  input?: string[];
  dim?: string[];
  shape?: string[];
  output?: string;
  saveInputs?: string;
  repeat?: string;
  seed?: string;
  maxElements?: string;
  strictEp?: boolean;
  /** A gradient model's parameters folder (src/node/params.ts). */
  params?: string;
  json?: boolean;
}

/** @deprecated use splitEpList from runtime/eps.ts */
export function splitList(values: readonly string[] | undefined, fallback: string[]): string[] {
  const out = splitEpList(values);
  return out.length ? out : fallback;
}

function parseCount(text: string | undefined, flag: string, dflt: number): number {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text)) throw new TreluError('E_USAGE', `${flag} '${text}' is not a non-negative integer`);
  return Number(text);
}

/** The generated inputs and how their shapes were chosen: symbolic dims bound by --dim, by default, or the whole shape by --shape. */
export function inventedInputs(model: Model, given: ReadonlySet<string>, dims: Readonly<Record<string, number>>, shapes: Readonly<Record<string, readonly number[]>>, feeds: Record<string, TensorLike>): { name: string; type: string; dims: number[]; how: string }[] {
  const out: { name: string; type: string; dims: number[]; how: string }[] = [];
  for (const v of model.graph.inputs) {
    if (v.initializer || given.has(v.name) || !feeds[v.name]) continue;
    const t = feeds[v.name]!;
    const declared = v.shape ?? [];
    const how = shapes[v.name]
      ? '--shape'
      : declared.map((d, i) => (typeof d === 'number' ? '' : typeof d === 'string' ? `${d}=${t.dims[i]}${d in dims ? '' : ' (default)'}` : `dim ${i} unnamed=${t.dims[i]} (default; set with --shape ${v.name}=...)`)).filter(Boolean).join(', ') || 'fixed shape';
    out.push({ name: v.name, type: String(t.type), dims: [...t.dims], how });
  }
  return out;
}

type Failed = { ep: string; error: string; hint?: string };

export async function runCommand(io: Io, file: string, options: RunCliOptions): Promise<number> {
  const eps = parseEps(options.ep, 'run', ['cpu']); // unknown names are usage errors before any work
  const repeat = parseCount(options.repeat, '--repeat', 10);
  const seed = parseCount(options.seed, '--seed', 0);
  const backends = sharedBackends();
  const specs = (options.input ?? []).map(parseInputSpec);
  const dims = parseDims(options.dim);
  const shapes = parseShapes(options.shape);
  for (const ep of eps) backends.get(ep); // unknown names are usage errors before any work
  for (const [flag, dir] of [['--output', options.output], ['--save-inputs', options.saveInputs]] as const) {
    if (dir !== undefined) assertSafeOutputDir(dir, `${flag} ${dir}`);
  }
  const loaded = loadModelFile(file);
  const readFiles = inputFilesOf(loaded);
  const maxElements = options.maxElements === undefined ? undefined : parseCount(options.maxElements, '--max-elements', 0);
  const model = modelFromProto(loaded.model);
  // A gradient model's parameters (--params), and the refusal to run one without them (src/node/params.ts).
  specs.unshift(...gradientParams(loaded.model, options.params, options.input));
  const feeds = buildFeeds(model, { inputs: specs, dims, shapes, seed, maxElements });
  const invented = inventedInputs(model, new Set(specs.map((s) => s.name)), dims, shapes, feeds);
  const savedInputs = options.saveInputs ? writeTensors(options.saveInputs, feeds, readFiles) : undefined;
  const source = ortModelSource(loaded);
  const results: (EpRunResult | Failed)[] = [];
  const written: Record<string, Record<string, string>> = {};
  let code = EXIT_OK;
  for (const ep of eps) {
    try {
      const r = await runModel(backends.get(ep), source, feeds, {
        repeat, strictEp: options.strictEp,
        // progress only on a terminal, never in --json or piped output
        onProgress: options.json || repeat < 50 || !process.stderr.isTTY ? undefined : (i, n) => { if (i % 50 === 0) process.stderr.write(`  ${ep}: run ${i}/${n}\r`); },
      });
      results.push(r);
      if (options.output) written[ep] = writeTensors(path.join(options.output, ep), r.outputs, readFiles);
    } catch (e) {
      if (!(e instanceof TreluError)) throw e;
      if (e.code === 'E_WRITE') throw e;
      results.push({ ep, error: e.message, hint: e.hint });
      code = EXIT_CHECK_FAILED;
    }
  }
  const replay = savedInputs ? `trelu run ${file} ${Object.entries(savedInputs).map(([k, f]) => `--input ${k}=${f}`).join(' ')}` : undefined;
  if (options.json) {
    printJson(io, {
      model: file,
      inputs: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { type: t.type, dims: [...t.dims], invented: invented.find((i) => i.name === k)?.how ?? null }])),
      savedInputs: savedInputs ?? null,
      results: results.map((r) => ('error' in r ? r : { ...r, outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, t]) => [k, { ...tensorStats(t), file: written[r.ep]?.[k] ?? null }])) })),
    });
    return code;
  }
  io.out(`inputs: ${Object.entries(feeds).map(([k, t]) => `${k} ${t.type}[${t.dims.join(',')}]`).join(', ') || '(none)'}`);
  if (invented.length) io.out(`  generated (seeded random, --seed ${seed}): ${invented.map((i) => `${i.name} [${i.dims.join(',')}] (${i.how})`).join('; ')}`);
  if (savedInputs) io.out(`  saved: ${Object.values(savedInputs).join(', ')}; replay with: ${replay}`);
  for (const r of results) printResult(io, r, written[r.ep]);
  return code;
}

/** Writes each tensor as .npy under `dir`; returns tensor name → file written. File-system errors are one line, exit 2. */
function writeTensors(dir: string, tensors: Readonly<Record<string, TensorLike>>, inputs: readonly InputFile[]): Record<string, string> {
  try {
    return writeNpyFiles(dir, tensors, inputs);
  } catch (e) {
    if (e instanceof TreluError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new TreluError('E_WRITE', `cannot write under ${dir}: ${err.code ?? err.message.split('\n')[0]}`, { hint: 'check the directory and its permissions' });
  }
}

function printResult(io: Io, r: EpRunResult | Failed, files: Record<string, string> | undefined): void {
  if ('error' in r) {
    io.out(`${r.ep}: FAILED: ${r.error}`);
    if (r.hint) io.out(`  hint: ${r.hint}`);
    return;
  }
  const t = r.timing;
  io.out(`${r.ep}: ${t.runs ? `median ${t.medianMs.toFixed(3)} ms, min ${t.minMs.toFixed(3)}, max ${t.maxMs.toFixed(3)} over ${t.runs} runs` : 'ran once'}`);
  for (const [name, v] of Object.entries(r.outputs)) {
    io.out(`  output ${name}: ${formatStats(tensorStats(v))}`);
    if (files?.[name]) io.out(`    written to ${files[name]}`);
  }
  if (r.placement) {
    io.out(`  placement: ${Object.entries(r.placement.providers).map(([p, n]) => `${n} on ${p}`).join(', ')}`);
    if (r.placement.cpuFallback.length) io.err(`warning: ${r.ep}: ${r.placement.cpuFallback.length} node(s) fell back to the CPU EP: ${r.placement.cpuFallback.map((n) => `${n.node} (${n.opType})`).join(', ')}`);
    for (const n of r.placement.thresholdedReluOnCpu) io.err(`warning: ${r.ep}: ThresholdedRelu '${n}' ran on the CPU, not on ${r.ep} (use --strict-ep to refuse this)`);
  }
}
