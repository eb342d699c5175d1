/** `trelu grad <in> <out>`: the gradient model, optionally checked against finite differences. */
import { warnStaleTemps } from './stale-warning.js';
import { EXIT_CHECK_FAILED, EXIT_OK, TreluError } from '../errors.js';
import { loadModelFile } from '../node/model-file.js';
import { saveModelFile } from '../node/save-model.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';
import { encodeModel } from '../onnx/encode.js';
import { buildGradient } from '../train/autodiff.js';
import { GRADIENT_RULES, maxPoolIndicesGrad, withRules } from '../train/rules/index.js';
import { checkGradients, parameterFeeds } from '../train/check.js';
import type { GradientReport } from '../train/autodiff.js';
import { writeNpyFiles } from '../node/npy-files.js';
import { assertSafeOutputDir, inputFilesOf, type InputFile } from '../node/output-safety.js';
import { LOSS_FUNCTIONS, type LossFunction } from '../train/loss.js';
import { buildFeeds, parseDims } from '../runtime/feeds.js';
import { parseInputSpec } from '../runtime/inputs.js';
import { printJson, type Io } from './output.js';

export interface GradCliOptions {
  loss?: string;
  lossFn?: string;
  on?: string;
  wrt?: string[];
  keepOutputs?: boolean;
  maxpoolIndices?: boolean;
  check?: boolean;
  input?: string[];
  dim?: string[];
  seed?: string;
  json?: boolean;
}

/** Writes the parameters' starting values as <out>.params/<name>.npy; returns the folder. */
function writeParameters(output: string, report: GradientReport, inputs: readonly InputFile[]): string {
  const dir = output.replace(/\.onnx$/, '') + '.params';
  const feeds = parameterFeeds(report);
  if (Object.keys(feeds).length) writeNpyFiles(dir, feeds, inputs);
  return dir;
}

/**
 * Relative error above which --check fails: tight where the loss can be
 * evaluated in float64, loose where only float32 works (ORT's CPU Conv has no
 * double kernel), whose rounding limits central differences to ~1e-2.
 */
export const CHECK_TOLERANCE = { float64: 1e-3, float32: 5e-2 } as const;

export async function gradCommand(io: Io, input: string, output: string, options: GradCliOptions): Promise<number> {
  if (options.lossFn && !LOSS_FUNCTIONS.includes(options.lossFn as LossFunction)) throw new TreluError('E_USAGE', `--loss-fn '${options.lossFn}' is not one of ${LOSS_FUNCTIONS.join(', ')}`);
  if (!options.wrt?.length) throw new TreluError('E_USAGE', 'say what to differentiate: --wrt <names> or --wrt params');
  const wrtNames = options.wrt.flatMap((w) => w.split(',')).map((s) => s.trim()).filter(Boolean);
  const loaded = loadModelFile(input);
  const model = modelFromProto(loaded.model);
  const report = buildGradient(model, {
    loss: options.loss,
    lossFn: options.lossFn as LossFunction | undefined,
    on: options.on,
    wrt: wrtNames.length === 1 && wrtNames[0] === 'params' ? 'params' : wrtNames,
    keepOutputs: options.keepOutputs,
    ...(options.maxpoolIndices ? { rules: withRules(GRADIENT_RULES, maxPoolIndicesGrad) } : {}),
  });
  const proto = modelToProto(model);
  // Everything a user's input can make fail runs before the model is written, so a failure leaves no out.onnx behind.
  const feeds = options.check ? buildFeeds(modelFromProto(proto), { inputs: (options.input ?? []).map(parseInputSpec), dims: parseDims(options.dim), seed: Number(options.seed ?? 0) }) : undefined;
  const paramsTarget = output.replace(/\.onnx$/, '') + '.params';
  if (Object.keys(parameterFeeds(report)).length) assertSafeOutputDir(paramsTarget);
  const saved = saveModelFile(proto, output, { source: loaded });
  warnStaleTemps(io, saved.staleTemps);
  const paramsDir = writeParameters(output, report, inputFilesOf(loaded));
  const { parameters: _values, ...summary } = report;
  const result: Record<string, unknown> = { input, output: saved.path, ...summary, parametersDir: paramsDir };
  if (!options.json) {
    if (report.opsetUpgrade) io.out(`opset ${report.opsetUpgrade.from} → ${report.opsetUpgrade.to} (the backward pass needs ${report.opsetUpgrade.to})`);
    io.out(`loss: ${report.loss}`);
    for (const g of report.gradients) io.out(`  ${g.tensor} → ${g.gradient}${g.connected ? '' : ' (no path to the loss: zeros)'}`);
    if (report.initializersAsInputs.length) io.out(`  ${report.initializersAsInputs.length} initializer(s) are now inputs; their starting values are in ${paramsDir}/ (feed them with --input name=file.npy)`);
    io.out(`wrote ${output} (${report.nodesAdded} nodes added)`);
  }
  for (const w of report.warnings) io.err(`warning: ${w}`);
  let code = EXIT_OK;
  if (feeds) {
    const checks = await checkGradients(encodeModel(proto), report, feeds, { seed: Number(options.seed ?? 0) + 1 });
    const tolerance = CHECK_TOLERANCE[checks.precision];
    const failed = checks.tensors.some((c) => c.maxRelError > tolerance);
    result.check = { tolerance, ok: !failed, ...checks };
    if (!options.json) {
      io.out(`check (central differences in ${checks.precision}, h = ${checks.h}, ORT cpu):`);
      for (const c of checks.tensors) io.out(`  ${c.tensor}: max relative error ${c.maxRelError.toExponential(2)} over ${c.checked} element(s)${c.skippedKinks ? `, ${c.skippedKinks} on a kink skipped` : ''}`);
      io.out(failed ? `check: FAILED (tolerance ${tolerance})` : `check: ok (tolerance ${tolerance})`);
    }
    if (failed) code = EXIT_CHECK_FAILED;
  }
  if (options.json) printJson(io, result);
  return code;
}
