/**
 * `trelu check-eps <model>`: the same inputs on every usable EP, each output
 * compared with the CPU EP's (and, for ThresholdedRelu-only models, with the
 * reference kernel) within a tolerance per dtype. Exit 1 on a mismatch.
 */
import { EXIT_CHECK_FAILED, EXIT_OK, TreluError } from '../errors.js';
import { loadModelFile } from '../node/model-file.js';
import { modelFromProto } from '../graph/from-proto.js';
import type { Model } from '../graph/model.js';
import { buildFeeds, parseDims, parseShapes } from '../runtime/feeds.js';
import { parseInputSpec } from '../runtime/inputs.js';
import { runModel, type EpRunResult } from '../runtime/run-model.js';
import { sharedBackends } from '../runtime/run-once.js';
import { compareTensors, TOLERANCES, type Comparison, type Tolerance } from '../runtime/tolerance.js';
import { EPS, parseEps } from '../runtime/eps.js';
import type { TensorLike } from '../runtime/tensor.js';
import { thresholdedReluOp } from '../ops/thresholded-relu/definition.js';
import { thresholdedReluReference } from '../ops/thresholded-relu/reference.js';
import type { FloatDType } from '../ops/types.js';
import { printJson, type Io } from './output.js';
import { ortModelSource } from './ort-model.js';
import { isAiOnnxDomain } from '../onnx/domain.js';

export interface CheckEpsOptions {
  ep?: string[];
  input?: string[];
  dim?: string[];
  shape?: string[];
  seed?: string;
  atol?: string;
  rtol?: string;
  json?: boolean;
}

function readTolerance(options: CheckEpsOptions): Tolerance | undefined {
  if (options.atol === undefined && options.rtol === undefined) return undefined;
  const read = (flag: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new TreluError('E_USAGE', `${flag} '${text}' is not a non-negative number`, { hint: `e.g. ${flag} 1e-5` });
    return v;
  };
  return { atol: read('--atol', options.atol) ?? TOLERANCES.float32!.atol, rtol: read('--rtol', options.rtol) ?? TOLERANCES.float32!.rtol };
}

/** For a model made only of ThresholdedRelu nodes in a chain from one input: the reference result per output. */
export function referenceForTreluOnlyModel(model: Model, feeds: Record<string, TensorLike>): Record<string, TensorLike> | undefined {
  const nodes = model.graph.nodes;
  if (nodes.length === 0 || nodes.some((n) => n.opType !== 'ThresholdedRelu' || !isAiOnnxDomain(n.domain))) return undefined;
  const values = new Map<string, TensorLike>(Object.entries(feeds));
  for (const n of nodes) {
    const x = values.get(n.inputs[0]?.name ?? '');
    if (!x || !['float32', 'float64', 'float16'].includes(x.type as string)) return undefined;
    const y = thresholdedReluReference(x.data as never, thresholdedReluOp.parseAttributes(n.attributes).alpha, x.type as FloatDType);
    values.set(n.outputs[0]!.name, { type: x.type, data: y as TensorLike['data'], dims: x.dims });
  }
  return Object.fromEntries(model.graph.outputs.map((v) => [v.name, values.get(v.name)!]));
}

export async function checkEpsCommand(io: Io, file: string, options: CheckEpsOptions): Promise<number> {
  const backends = sharedBackends();
  const requested = parseEps(options.ep, 'run', EPS.filter((e) => e.runnable).map((e) => e.name));
  const tolerance = readTolerance(options);
  const loaded = loadModelFile(file);
  const model = modelFromProto(loaded.model);
  const feeds = buildFeeds(model, { inputs: (options.input ?? []).map(parseInputSpec), dims: parseDims(options.dim), shapes: parseShapes(options.shape), seed: Number(options.seed ?? 0) });
  const source = ortModelSource(loaded);
  const { usable, unusable } = await backends.usable(requested.includes('cpu') ? requested : ['cpu', ...requested]);
  const cpu = usable.find((b) => b.name === 'cpu');
  if (!cpu) throw new TreluError('E_UNSUPPORTED', 'the CPU EP, the baseline, cannot start', { hint: 'run trelu doctor' });
  const reference = referenceForTreluOnlyModel(model, feeds);
  const runs: EpRunResult[] = [];
  const failed: { ep: string; error: string }[] = [];
  for (const b of usable) {
    try {
      runs.push(await runModel(b, source, feeds));
    } catch (e) {
      if (!(e instanceof TreluError)) throw e;
      failed.push({ ep: b.name, error: e.message });
    }
  }
  const base = runs.find((r) => r.ep === 'cpu');
  const rows: { ep: string; output: string; against: 'cpu' | 'reference'; comparison: Comparison }[] = [];
  for (const r of runs) {
    for (const [name, t] of Object.entries(r.outputs)) {
      if (r.ep !== 'cpu' && base?.outputs[name]) rows.push({ ep: r.ep, output: name, against: 'cpu', comparison: compareTensors(t, base.outputs[name]!, tolerance) });
      if (reference?.[name]) rows.push({ ep: r.ep, output: name, against: 'reference', comparison: compareTensors(t, reference[name]!, tolerance) });
    }
  }
  const mismatch = rows.some((r) => !r.comparison.ok) || failed.length > 0;
  const skipped = unusable.map((u) => ({ ep: u.name, reason: u.reason }));
  if (options.json) {
    printJson(io, { model: file, ok: !mismatch, tolerance: tolerance ?? TOLERANCES, comparisons: rows, failed, skipped, placement: Object.fromEntries(runs.map((r) => [r.ep, r.placement ?? null])) });
  } else {
    io.out(`tolerance: |diff| <= atol + rtol * |expected|, ${tolerance ? `atol ${tolerance.atol} rtol ${tolerance.rtol} (--atol/--rtol)` : Object.entries(TOLERANCES).map(([t, v]) => `${t} atol ${v.atol} rtol ${v.rtol}`).join('; ') + ' (set with --atol/--rtol)'}`);
    for (const s of skipped) io.out(`${s.ep}: skipped (${s.reason})`);
    for (const f of failed) io.out(`${f.ep}: FAILED: ${f.error}`);
    for (const row of rows) {
      const c = row.comparison;
      io.out(`${row.ep.padEnd(8)} ${row.output} vs ${row.against.padEnd(9)} ${c.ok ? 'ok      ' : 'MISMATCH'} max |diff| ${c.maxAbsDiff === 0 ? '0' : c.maxAbsDiff.toExponential(2)}${c.mismatches ? `, ${c.mismatches}/${c.elements} outside tolerance` : ''}`);
    }
    for (const r of runs) {
      for (const n of r.placement?.thresholdedReluOnCpu ?? []) io.err(`warning: on ${r.ep}, ThresholdedRelu '${n}' ran on the CPU EP`);
    }
    io.out(mismatch ? 'check-eps: MISMATCH' : `check-eps: ok (${runs.map((r) => r.ep).join(', ')})`);
  }
  return mismatch ? EXIT_CHECK_FAILED : EXIT_OK;
}
