/**
 * The rewriting commands: replace, insert, fuse, decompose (and convert
 * --opset). Each reads a model, writes a new one (never the input; temp file
 * + rename), and with --verify runs both in onnxruntime-node to prove it.
 */
import { TreluError, EXIT_CHECK_FAILED, EXIT_OK } from '../errors.js';
import { loadModelFile } from '../node/model-file.js';
import { saveModelFile } from '../node/save-model.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';
import type { Model } from '../graph/model.js';
import { encodeModel } from '../onnx/encode.js';
import { fuse, decompose, replaceActivations, insertThresholdedRelu, ensureThresholdedReluOpset, upgradeOpset, type RewriteReport, type UpgradeReport } from '../rewrite/index.js';
import { buildFeeds, parseDims } from '../runtime/feeds.js';
import { parseInputSpec } from '../runtime/inputs.js';
import { compareModels, checkNodesAgainstReference, type VerifyReport } from '../runtime/verify.js';
import { printJson, type Io } from './output.js';

export interface RewriteCliOptions {
  verify?: boolean;
  dryRun?: boolean;
  json?: boolean;
  input?: string[];
  dim?: string[];
  seed?: string;
}

interface Transformed {
  report: RewriteReport;
  warnings?: string[];
  upgrade?: UpgradeReport;
  /** 'equal': outputs must not change; 'reference': new nodes are checked against the reference kernel. */
  verifyMode: 'equal' | 'reference';
}

export type Transform = (model: Model, dryRun: boolean) => Transformed;

export async function rewriteCommand(io: Io, command: string, input: string, output: string, options: RewriteCliOptions, transform: Transform): Promise<number> {
  const seed = options.seed === undefined ? 0 : Number(options.seed);
  if (!Number.isInteger(seed)) throw new TreluError('E_USAGE', `--seed '${options.seed}' is not an integer`);
  const dims = parseDims(options.dim);
  const inputSpecs = (options.input ?? []).map(parseInputSpec);
  const loaded = loadModelFile(input);
  const model = modelFromProto(loaded.model);
  const t = transform(model, !!options.dryRun);
  const result: Record<string, unknown> = { command, input, output: options.dryRun ? null : output, changes: t.report.changes, candidates: t.report.candidates, warnings: t.warnings ?? [] };
  if (t.upgrade) result.opsetUpgrade = t.upgrade;
  if (!options.json) printChanges(io, command, t);
  if (options.dryRun) {
    if (options.json) printJson(io, { ...result, dryRun: true });
    else io.out(`dry run: nothing written (${t.report.changes.length} change(s) would be made)`);
    return EXIT_OK;
  }
  const saved = saveModelFile(modelToProto(model), output, { source: loaded });
  result.bytes = saved.bytes;
  if (!options.json) io.out(`wrote ${output}`);
  let code = EXIT_OK;
  if (options.verify) {
    const feeds = buildFeeds(modelFromProto(loaded.model), { inputs: inputSpecs, dims, seed });
    const verify: VerifyReport = { outputs: await compareModels(loaded.path, saved.path, feeds) };
    let failed = false;
    if (t.verifyMode === 'equal') {
      failed = verify.outputs.some((o) => o.maxAbsDiff !== 0);
    } else {
      const added = t.report.changes.flatMap((c) => c.added);
      const checked = await checkNodesAgainstReference(encodeModel(modelToProto(model)), added, feeds);
      verify.nodes = checked.nodes;
      verify.unchecked = checked.unchecked;
      failed = checked.nodes.some((n) => n.maxAbsDiff !== 0);
    }
    result.verify = { ...verify, ok: !failed };
    if (!options.json) printVerify(io, t.verifyMode, verify, failed);
    if (failed) code = EXIT_CHECK_FAILED;
  }
  if (options.json) printJson(io, result);
  return code;
}

function printChanges(io: Io, command: string, t: Transformed): void {
  if (t.upgrade) {
    io.out(`opset ${t.upgrade.from} → ${t.upgrade.to}${t.upgrade.adapted.length ? `: ${t.upgrade.adapted.length} node(s) adapted` : ''}`);
    for (const a of t.upgrade.adapted) io.out(`  adapted ${a}`);
  }
  for (const w of t.warnings ?? []) io.out(`warning: ${w}`);
  for (const c of t.report.changes) {
    io.out(`${c.rule}: ${c.detail ?? `${c.removed.join(', ') || '-'} → ${c.added.join(', ') || '(pending)'}`} in ${c.location}`);
  }
  for (const c of t.report.candidates) io.out(`not rewritten (${c.rule}): node '${c.node}' in ${c.location}: ${c.reason}`);
  io.out(`${command}: ${t.report.changes.length} change(s), ${t.report.candidates.length} candidate(s) left as they are`);
}

function fmt(d: number): string {
  return d === 0 ? '0' : d.toExponential(3);
}

function printVerify(io: Io, mode: 'equal' | 'reference', v: VerifyReport, failed: boolean): void {
  io.out(`verify (onnxruntime-node cpu, graph optimizations off, seeded inputs):`);
  for (const o of v.outputs) io.out(`  output ${o.name}: max |before - after| = ${fmt(o.maxAbsDiff)} over ${o.elements} elements${mode === 'reference' && o.maxAbsDiff !== 0 ? ' (changed on purpose)' : ''}`);
  for (const n of v.nodes ?? []) io.out(`  node ${n.node}: max |ORT - reference kernel| = ${fmt(n.maxAbsDiff)} over ${n.elements} elements`);
  for (const u of v.unchecked ?? []) io.out(`  node ${u}: not checked (inside a subgraph or function, or of a type the reference cannot read)`);
  io.out(failed ? 'verify: FAILED' : 'verify: ok');
}

/** The transforms, as the commands use them. */
export const transforms = {
  fuse: (allowNanChange: boolean): Transform => (model, dryRun) => ({ report: fuse(model, { allowNanChange, dryRun }), verifyMode: 'equal' }),
  decompose: (): Transform => (model, dryRun) => ({ report: decompose(model, { dryRun }), verifyMode: 'equal' }),
  replace: (from: string[], alpha: number | undefined, nodes: string[] | RegExp | undefined): Transform => (model, dryRun) => {
    const upgrade = dryRun ? undefined : ensureThresholdedReluOpset(model);
    const r = replaceActivations(model, { from, alpha, nodes, dryRun });
    return { report: r, warnings: r.warnings, upgrade, verifyMode: 'reference' };
  },
  insert: (after: string[], alpha: number | undefined): Transform => (model, dryRun) => {
    const upgrade = dryRun ? undefined : ensureThresholdedReluOpset(model);
    return { report: insertThresholdedRelu(model, { after, alpha, dryRun }), upgrade, verifyMode: 'reference' };
  },
  opset: (target: number): Transform => (model, dryRun) => {
    if (dryRun) return { report: { changes: [], candidates: [] }, verifyMode: 'equal' };
    return { report: { changes: [], candidates: [] }, upgrade: upgradeOpset(model, target), verifyMode: 'equal' };
  },
};

/** `--nodes a,b` or `--nodes /regex/`. */
export function parseNodeSelector(text: string | undefined): string[] | RegExp | undefined {
  if (text === undefined) return undefined;
  const m = /^\/(.*)\/([a-z]*)$/.exec(text);
  if (m) {
    try {
      return new RegExp(m[1]!, m[2]);
    } catch {
      throw new TreluError('E_USAGE', `--nodes ${text}: not a valid regular expression`);
    }
  }
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

export function parseAlpha(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const a = Number(text);
  if (text.trim() === '' || !Number.isFinite(a)) throw new TreluError('E_USAGE', `--alpha '${text}' is not a finite number`, { hint: 'e.g. --alpha 0.5' });
  return a;
}
