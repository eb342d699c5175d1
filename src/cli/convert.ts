/** `trelu convert <in> <out>`: rewrite a model file, moving tensors into or out of external data. */
import { TreluError } from '../errors.js';
import { loadModelFileAsync } from '../node/model-file.js';
import { saveModelFileAsync, DEFAULT_SIZE_THRESHOLD } from '../node/save-model.js';
import { warnStaleTemps } from './stale-warning.js';
import { assertSafeOutput, inputFilesOf } from '../node/output-safety.js';
import { formatBytes, printJson, type Io } from './output.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';
import { upgradeOpset, type UpgradeReport } from '../rewrite/opset-upgrade.js';
import { saveLazyModel } from '../node/rewrite-file.js';
import { openCommandInput, loadReadableTensors, type CommandInput } from './lazy-input.js';

export interface ConvertOptions {
  externalData?: string;
  sizeThreshold?: string;
  inlineData?: boolean;
  opset?: string;
  json?: boolean;
}

export async function convertCommand(io: Io, input: string, output: string, options: ConvertOptions): Promise<number> {
  if (options.externalData && options.inlineData) {
    throw new TreluError('E_USAGE', '--external-data and --inline-data cannot be used together', { hint: 'choose one' });
  }
  let sizeThreshold = DEFAULT_SIZE_THRESHOLD;
  if (options.sizeThreshold !== undefined) {
    if (!options.externalData) throw new TreluError('E_USAGE', '--size-threshold needs --external-data');
    if (!/^\d+$/.test(options.sizeThreshold)) throw new TreluError('E_USAGE', `--size-threshold '${options.sizeThreshold}' is not a byte count`, { hint: 'e.g. --size-threshold 1024' });
    sizeThreshold = Number(options.sizeThreshold);
  }
  // An inline output from an inline input: the large tensors are copied from the input file, never loaded (lazy-input.ts);
  // into external data too, their rawData read only if the opset upgrade asks for it (lazy-load.ts).
  const { loaded, lazy }: CommandInput = options.externalData ? { loaded: await loadModelFileAsync(input, { lazyTensors: true }) } : openCommandInput(input);
  assertSafeOutput(output, inputFilesOf(loaded)); // before any work; the save checks again, with the data files

  let proto = loaded.model;
  let upgrade: UpgradeReport | undefined;
  if (options.opset !== undefined) {
    const target = Number(options.opset);
    if (!Number.isInteger(target) || target < 1) throw new TreluError('E_USAGE', `--opset '${options.opset}' is not an opset version`, { hint: 'e.g. --opset 17' });
    const model = modelFromProto(loaded.model);
    if (lazy) loadReadableTensors(lazy, model);
    upgrade = upgradeOpset(model, target);
    proto = modelToProto(model);
  }
  const report = lazy ? { ...saveLazyModel(lazy, proto, output), externalFiles: [], superseded: [] } : await saveModelFileAsync(proto, output, {
    source: loaded,
    inlineData: options.inlineData,
    externalData: options.externalData ? { location: options.externalData, sizeThreshold } : undefined,
  });
  if (options.json) {
    printJson(io, { input, output: report.path, bytes: report.bytes, externalFiles: report.externalFiles, superseded: report.superseded, staleTemps: report.staleTemps, opsetUpgrade: upgrade });
  } else {
    if (upgrade) {
      io.out(`opset ${upgrade.from} → ${upgrade.to}${upgrade.adapted.length ? `, ${upgrade.adapted.length} node(s) adapted` : ''}`);
      for (const a of upgrade.adapted) io.out(`  adapted ${a}`);
    }
    io.out(`wrote ${output} (${formatBytes(report.bytes)})`);
    for (const f of report.externalFiles) io.out(`wrote ${f.path} (${formatBytes(f.bytes)}, ${f.tensors} tensors)`);
    for (const f of report.superseded) io.out(`removed ${f} (the replaced model's data)`);
  }
  warnStaleTemps(io, report.staleTemps);
  return 0;
}
