/**
 * `trelu grad <in> <out>`: the gradient model, its parameters beside it
 * (<out>.params/ with a manifest), optionally checked against finite
 * differences first: nothing is written when the command fails.
 */
import path from 'node:path';
import { EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, TreluError } from '../errors.js';
import { loadModelFile, readExternalBytes } from '../node/model-file.js';
import { saveModelFile } from '../node/save-model.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';
import { ortModelBytes } from './ort-model.js';
import { onnx } from '../onnx/proto.js';
import { buildGradient } from '../train/autodiff.js';
import { GRADIENT_RULES, maxPoolIndicesGrad, withRules } from '../train/rules/index.js';
import { checkGradients, parameterFeeds, verdict } from '../train/check.js';
import { GRADIENT_PARAMS_KEY, writeParamsDir } from '../node/params.js';
import { assertSafeOutput, assertSafeOutputDir, inputFilesOf } from '../node/output-safety.js';
import { parseLossFn } from './loss-option.js';
import { buildFeeds, parseDims } from '../runtime/feeds.js';
import { parseInputSpec } from '../runtime/inputs.js';
import { printJson, type Io } from './output.js';
import { warnStaleTemps } from './stale-warning.js';

export interface GradCliOptions {
  loss?: string;
  lossFn?: string;
  on?: string;
  wrt?: string[];
  keepOutputs?: boolean;
  maxpoolIndices?: boolean;
  untie?: boolean;
  check?: boolean;
  checkSamples?: string;
  allowUnchecked?: boolean;
  input?: string[];
  dim?: string[];
  seed?: string;
  json?: boolean;
}

/**
 * Relative error above which --check fails: tight where the loss can be
 * evaluated in float64, loose where only float32 works (ORT's CPU Conv has no
 * double kernel), whose rounding limits central differences to ~1e-2.
 */
export const CHECK_TOLERANCE = { float64: 1e-3, float32: 5e-2 } as const;

export function paramsDirFor(output: string): string {
  return output.replace(/\.onnx$/, '') + '.params';
}

/** Whether stderr is a terminal (progress lines only there). */
const onTerminal = () => !!process.stderr.isTTY;

export async function gradCommand(io: Io, input: string, output: string, options: GradCliOptions): Promise<number> {
  const lossFn = parseLossFn(options.lossFn);
  if (!options.wrt?.length) throw new TreluError('E_USAGE', 'say what to differentiate: --wrt <names> or --wrt params');
  const samples = options.checkSamples === undefined ? 6 : Number(options.checkSamples);
  if (!Number.isInteger(samples) || samples < 1) throw new TreluError('E_USAGE', `--check-samples '${options.checkSamples}' is not a positive integer`);
  if ((options.checkSamples !== undefined || options.allowUnchecked) && !options.check) throw new TreluError('E_USAGE', '--check-samples and --allow-unchecked go with --check');
  const wrtNames = options.wrt.flatMap((w) => w.split(',')).map((s) => s.trim()).filter(Boolean);
  const loaded = loadModelFile(input);
  const model = modelFromProto(loaded.model);
  const report = buildGradient(model, {
    loss: options.loss,
    lossFn,
    on: options.on,
    wrt: wrtNames.length === 1 && wrtNames[0] === 'params' ? 'params' : wrtNames,
    keepOutputs: options.keepOutputs,
    untie: options.untie,
    ...(options.maxpoolIndices ? { rules: withRules(GRADIENT_RULES, maxPoolIndicesGrad) } : {}),
  });
  const proto = modelToProto(model);
  // Parameters stored as external data are read through the source model's files.
  const params = parameterFeeds(report, (t) => readExternalBytes(loaded, t));
  // The model says which inputs are its parameters: `trelu run` refuses to run it without them.
  proto.metadataProps = [...(proto.metadataProps ?? []).filter((p) => p.key !== GRADIENT_PARAMS_KEY), onnx.StringStringEntryProto.create({ key: GRADIENT_PARAMS_KEY, value: JSON.stringify(Object.keys(params)) })];
  const paramsDir = paramsDirFor(output);
  // Refuse an unsafe output (an input, a device, a FIFO, ...) before any work.
  assertSafeOutput(output, inputFilesOf(loaded));
  if (Object.keys(params).length) assertSafeOutputDir(paramsDir);
  const { parameters: _values, ...summary } = report;
  const result: Record<string, unknown> = { input, output, ...summary, parametersDir: paramsDir };
  const code = EXIT_OK;
  // The check runs before anything is written: a failed check leaves no files.
  if (options.check) {
    let checks;
    try {
      const feeds = buildFeeds(modelFromProto(proto), { inputs: (options.input ?? []).map(parseInputSpec), dims: parseDims(options.dim), seed: Number(options.seed ?? 0) });
      const progress = onTerminal() ? (done: number, total: number, tensor: string) => process.stderr.write(`\rcheck: ${done}/${total} ${tensor.slice(0, 50).padEnd(50)}`) : undefined;
      checks = await checkGradients(ortModelBytes(loaded, proto), report, { ...feeds, ...params }, { seed: Number(options.seed ?? 0) + 1, samples, onProgress: progress });
      if (progress) process.stderr.write('\r' + ' '.repeat(70) + '\r');
    } catch (e) {
      // A bad --input or --dim is the user's (exit 2, nothing written); anything else means the check could not run (exit 1).
      if (e instanceof TreluError && e.exitCode === EXIT_BAD_INPUT) throw e;
      const why = e instanceof Error ? e.message : String(e);
      io.err(`trelu: the check could not run: ${why.split('\n')[0]}`);
      io.err('  hint: nothing was written; without --check the gradient model is written unchecked');
      if (options.json) printJson(io, { ...result, check: { ok: false, error: why } });
      return EXIT_CHECK_FAILED;
    }
    const tolerance = CHECK_TOLERANCE[checks.precision];
    const v = verdict(checks, tolerance, options.allowUnchecked);
    result.check = { tolerance, ...v, ...checks };
    if (!options.json) {
      io.out(`check (central differences in ${checks.precision}, h = ${checks.h}, ${samples} sample(s) per tensor, ORT cpu):`);
      for (const c of checks.tensors) {
        const err = Number.isNaN(c.maxRelError) ? `NaN or inf (${c.nonFinite} element(s))` : c.maxRelError.toExponential(2);
        io.out(`  ${c.tensor}: max relative error ${err} over ${c.checked} element(s)${c.smallerStep ? `, ${c.smallerStep} at a smaller step (a kink within ±h)` : ''}${c.skippedKinks ? `, ${c.skippedKinks} on a kink skipped` : ''}${c.checked === 0 && !c.nonFinite ? ' — UNCHECKED' : ''}`);
      }
      if (v.unchecked.length) io.out(`  ${v.unchecked.length} tensor(s) could not be checked (every sample on a kink)${options.allowUnchecked ? ': allowed by --allow-unchecked' : ': this fails the check unless --allow-unchecked'}`);
      io.out(v.ok ? `check: ok (tolerance ${tolerance})` : `check: FAILED (tolerance ${tolerance}${v.failed.length ? `; ${v.failed.length} above it or NaN` : ''}${!options.allowUnchecked && v.unchecked.length ? `; ${v.unchecked.length} unchecked` : ''}); nothing written`);
    }
    if (!v.ok) {
      if (options.json) printJson(io, result);
      return EXIT_CHECK_FAILED;
    }
  }
  // The parameters first, the model last: a failure on either leaves neither (a params folder without its model is useless, a model without them unrunnable).
  const written = Object.keys(params).length ? writeParamsDir(paramsDir, params, { model: path.basename(output) }) : undefined;
  let saved: ReturnType<typeof saveModelFile>;
  try {
    saved = saveModelFile(proto, output, { source: loaded });
  } catch (e) {
    written?.undo();
    throw e;
  }
  warnStaleTemps(io, saved.staleTemps);
  result.output = saved.path;
  if (!options.json) {
    if (report.opsetUpgrade) io.out(`opset ${report.opsetUpgrade.from} → ${report.opsetUpgrade.to} (the backward pass needs ${report.opsetUpgrade.to})`);
    io.out(`loss: ${report.loss}`);
    for (const g of report.gradients) io.out(`  ${g.tensor} → ${g.gradient}${g.connected ? '' : ' (no path to the loss: zeros)'}`);
    for (const s of report.shared) {
      io.out(`  shared: '${s.tensor}' feeds ${s.readers.length} nodes (${s.readers.slice(0, 3).join(', ')}${s.readers.length > 3 ? ', ...' : ''})${s.untiedAs ? `: untied into ${s.untiedAs.length} parameters` : ': its gradient is the sum over them (--untie gives each its own)'}`);
    }
    if (report.initializersAsInputs.length) io.out(`  ${report.initializersAsInputs.length} parameter(s) are now inputs; their values and a manifest are in ${paramsDir}/ (trelu run ${output} --params ${paramsDir})`);
    io.out(`wrote ${output} (${report.nodesAdded} nodes added)`);
  }
  for (const w of report.warnings) io.err(`warning: ${w}`);
  if (options.json) printJson(io, result);
  return code;
}
