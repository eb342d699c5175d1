/**
 * The rewriting commands: replace, insert, fuse, decompose (and convert
 * --opset). Each reads a model, writes a new one (never the input; temp file
 * + rename), and with --verify runs both in onnxruntime-node to prove it.
 */
import { assertSafeOutput, inputFilesOf } from '../node/output-safety.js';
import { warnStaleTemps } from './stale-warning.js';
import { TreluError, EXIT_CHECK_FAILED, EXIT_OK } from '../errors.js';
import { saveModelFile } from '../node/save-model.js';
import { saveLazyModel } from '../node/rewrite-file.js';
import { openCommandInput, loadReadableTensors } from './lazy-input.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';
import type { Model } from '../graph/model.js';
import { fuse, decompose, replaceActivations, insertThresholdedRelu, ensureThresholdedReluOpset, upgradeOpset, type RewriteReport, type UpgradeReport } from '../rewrite/index.js';
import { buildFeeds, parseDims, parseShapes } from '../runtime/feeds.js';
import { parseInputSpec } from '../runtime/inputs.js';
import type { VerifyReport } from '../runtime/verify.js';
import { VERIFY_TOLERANCE, type Tolerance } from '../runtime/tolerance.js';
import { printJson, type Io } from './output.js';
import { ortModelBytes, ortModelSource } from './ort-model.js';

export interface RewriteCliOptions {
  verify?: boolean;
  dryRun?: boolean;
  json?: boolean;
  input?: string[];
  dim?: string[];
  shape?: string[];
  seed?: string;
  atol?: string;
  rtol?: string;
  allowUnchecked?: boolean;
  allowNoop?: boolean;
}

interface Transformed {
  report: RewriteReport;
  warnings?: string[];
  upgrade?: UpgradeReport;
  /** 'equal': outputs must not change; 'reference': outputs may change on purpose, each change is checked against the reference kernel. */
  verifyMode: 'equal' | 'reference';
  /** The opset upgrade is the point (convert --opset), not a side effect of making room for ThresholdedRelu. */
  upgradeIsTheChange?: boolean;
}

export type Transform = (model: Model, dryRun: boolean) => Transformed;

/** `--atol`/`--rtol`: non-negative numbers; the default is exact. */
export function parseTolerance(options: { atol?: string; rtol?: string }, dflt: Tolerance = VERIFY_TOLERANCE): Tolerance {
  const read = (flag: string, text: string | undefined, d: number) => {
    if (text === undefined) return d;
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new TreluError('E_USAGE', `${flag} '${text}' is not a non-negative number`, { hint: `e.g. ${flag} 1e-5` });
    return v;
  };
  return { atol: read('--atol', options.atol, dflt.atol), rtol: read('--rtol', options.rtol, dflt.rtol) };
}

export async function rewriteCommand(io: Io, command: string, input: string, output: string, options: RewriteCliOptions, transform: Transform): Promise<number> {
  const seed = options.seed === undefined ? 0 : Number(options.seed);
  if (!Number.isInteger(seed)) throw new TreluError('E_USAGE', `--seed '${options.seed}' is not an integer`);
  const dims = parseDims(options.dim);
  const tolerance = parseTolerance(options);
  const inputSpecs = (options.input ?? []).map(parseInputSpec);
  const shapes = parseShapes(options.shape);
  // Large inline tensors stay in the input file and are copied from there on the save, where nothing reads them (lazy-input.ts).
  const { loaded, lazy } = openCommandInput(input);
  // An unsafe output (an input, a device, a FIFO, ...) is refused before any work, whatever the rewrite would find.
  if (!options.dryRun) assertSafeOutput(output, inputFilesOf(loaded));
  const model = modelFromProto(loaded.model);
  if (lazy) loadReadableTensors(lazy, model);
  const t = transform(model, !!options.dryRun);
  const result: Record<string, unknown> = { command, input, output: options.dryRun ? null : output, changes: t.report.changes, candidates: t.report.candidates, warnings: t.warnings ?? [] };
  if (t.upgrade) result.opsetUpgrade = t.upgrade;
  if (!options.json) printChanges(io, command, t);
  // an opset upgrade made only to host ThresholdedRelu does not count: with nothing replaced it is a no-op
  const noop = t.report.changes.length === 0 && !(t.upgradeIsTheChange && t.upgrade);
  if (noop && !options.allowNoop) {
    // never a success that did nothing: say why, write nothing
    const reason = t.report.nothingToDo ?? 'nothing to change';
    if (options.json) printJson(io, { ...result, output: null, ok: false, nothingToDo: reason });
    else io.err(`trelu: ${command}: nothing to change: ${reason}; nothing written (--allow-noop writes the copy anyway)`);
    return EXIT_CHECK_FAILED;
  }
  if (options.dryRun) {
    if (options.json) printJson(io, { ...result, dryRun: true });
    else io.out(`dry run: nothing written (${t.report.changes.length} change(s) would be made)`);
    return EXIT_OK;
  }
  const proto = modelToProto(model);
  const saved = lazy ? saveLazyModel(lazy, proto, output) : { ...saveModelFile(proto, output, { source: loaded }), copiedBytes: 0 };
  warnStaleTemps(io, saved.staleTemps);
  result.bytes = saved.bytes;
  result.copiedBytes = saved.copiedBytes; // tensor bytes copied from the input without being loaded
  if (!options.json) io.out(`wrote ${output}`);
  let code = EXIT_OK;
  if (options.verify) {
    // loaded only here: the verifier (shape inference, the reference kernels, ORT) is most of the CLI's modules
    const { compareModels, checkChanges, verifyPassed } = await import('../runtime/verify.js');
    const feeds = buildFeeds(modelFromProto(loaded.model), { inputs: inputSpecs, dims, seed, shapes });
    const verify: VerifyReport = {
      tolerance,
      // the input unchanged on disk: ORT reads it there (a lazy `loaded` would be read back in whole)
      outputs: await compareModels(lazy ? loaded.path : ortModelSource(loaded), ortModelBytes(loaded, proto), feeds, tolerance),
      nodes: [],
      unchecked: [],
      changed: t.report.changes.length,
    };
    const checked = await checkChanges(model, t.report.probes ?? [], feeds, { tolerance, encode: (m) => ortModelBytes(loaded, modelToProto(m)) });
    verify.nodes = checked.nodes;
    // a change the rewrite did not describe (no probe) is unchecked too
    const described = new Set((t.report.probes ?? []).map((p) => p.change));
    verify.unchecked = [...checked.unchecked, ...t.report.changes.filter((c) => !described.has(c)).map((c) => ({ node: c.added.join(', ') || c.detail || c.rule, location: c.location, reason: `the ${c.rule} rule does not say what its replacement computes` }))];
    const ok = verifyPassed(verify, t.verifyMode, !!options.allowUnchecked);
    result.verify = { ...verify, mode: t.verifyMode, ok };
    if (!options.json) printVerify(io, t.verifyMode, verify, ok, !!options.allowUnchecked);
    if (!ok) code = EXIT_CHECK_FAILED;
  }
  if (options.json) printJson(io, result);
  return code;
}

function printChanges(io: Io, command: string, t: Transformed): void {
  if (t.upgrade) {
    io.out(`opset ${t.upgrade.from} → ${t.upgrade.to}${t.upgrade.adapted.length ? `: ${t.upgrade.adapted.length} node(s) adapted` : ''}`);
    for (const a of t.upgrade.adapted) io.out(`  adapted ${a}`);
  }
  for (const w of t.warnings ?? []) io.err(`warning: ${w}`);
  for (const c of t.report.changes) {
    io.out(`${c.rule}: ${c.detail ?? `${c.removed.join(', ') || '-'} → ${c.added.join(', ') || '(pending)'}`} in ${c.location}`);
  }
  for (const c of t.report.candidates) io.out(`not rewritten (${c.rule}): node '${c.node}' in ${c.location}: ${c.reason}`);
  io.out(`${command}: ${t.report.changes.length} change(s), ${t.report.candidates.length} candidate(s) left as they are`);
}

function fmt(d: number): string {
  return d === 0 ? '0' : d.toExponential(3);
}

function printVerify(io: Io, mode: 'equal' | 'reference', v: VerifyReport, ok: boolean, allowUnchecked: boolean): void {
  const tol = v.tolerance.atol === 0 && v.tolerance.rtol === 0 ? 'exact' : `|diff| <= ${v.tolerance.atol} + ${v.tolerance.rtol} * |expected|`;
  io.out(`verify (onnxruntime-node cpu, graph optimizations off, seeded inputs; tolerance ${tol}, --atol ${v.tolerance.atol} --rtol ${v.tolerance.rtol}):`);
  for (const o of v.outputs) {
    const outside = o.mismatches ? `, ${o.mismatches} outside tolerance` : '';
    io.out(`  output ${o.name}: max |before - after| = ${fmt(o.maxAbsDiff)} over ${o.elements} elements${outside}${mode === 'reference' && o.maxAbsDiff !== 0 ? ' (changed on purpose; each change is checked below)' : ''}`);
  }
  for (const n of v.nodes) io.out(`  change ${n.node} (${n.location}): max |ORT - reference kernel| = ${fmt(n.maxAbsDiff)} over ${n.elements} elements${n.ok ? '' : `, ${n.mismatches} outside tolerance: FAILED`}`);
  for (const u of v.unchecked) io.out(`  change ${u.node} (${u.location}): NOT CHECKED: ${u.reason}`);
  const counts = `${v.nodes.length} of ${v.changed} change(s) checked against the reference kernel`;
  if (ok) io.out(`verify: ok (${counts}${v.unchecked.length ? `; ${v.unchecked.length} unchecked, allowed by --allow-unchecked` : ''})`);
  else if (v.nodes.some((n) => !n.ok) || (mode === 'equal' && v.outputs.some((o) => o.mismatches))) io.out(`verify: FAILED (${counts})`);
  else io.out(`verify: FAILED: ${counts}; ${v.unchecked.length} could not be checked${allowUnchecked ? '' : ' (--allow-unchecked accepts that)'}`);
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
    return { report: { changes: [], candidates: [] }, upgrade: upgradeOpset(model, target), verifyMode: 'equal', upgradeIsTheChange: true };
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
