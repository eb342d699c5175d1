/** `trelu inspect <model>`: what is in a model, with every ThresholdedRelu node. */
import { loadModelFile } from '../node/model-file.js';
import { modelFromProto } from '../graph/from-proto.js';
import { summarizeModel, type ModelSummary } from '../graph/summary.js';
import { formatBytes, printJson, type Io } from './output.js';

export interface InspectOptions {
  json?: boolean;
}

export function inspectCommand(io: Io, file: string, options: InspectOptions): number {
  const loaded = loadModelFile(file);
  const model = modelFromProto(loaded.model);
  const summary = summarizeModel(model, new Map(loaded.externalFiles.map((f) => [f.location, f.size])));
  if (options.json) printJson(io, { file, bytes: loaded.size, ...summary });
  else printSummary(io, file, loaded.size, summary);
  return 0;
}

export function printSummary(io: Io, file: string, bytes: number, s: ModelSummary): void {
  const row = (k: string, v: string) => io.out(`  ${k.padEnd(16)}${v}`);
  io.out(`${file} (${formatBytes(bytes)})`);
  row('IR version', String(s.irVersion));
  row('producer', [s.producer.name, s.producer.version].filter(Boolean).join(' ') || '-');
  row('opsets', s.opsetImports.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ') || '-');
  row('nodes', `${s.nodes} (${s.subgraphs} subgraphs, ${s.functions.length} functions)`);
  row('ops', Object.entries(s.opCounts).map(([op, n]) => `${op} ${n}`).join(', ') || '-');
  for (const [k, vs] of [['inputs', s.inputs], ['outputs', s.outputs]] as const) {
    vs.forEach((v, i) => row(i === 0 ? k : '', `${v.name}: ${v.type}`));
    if (vs.length === 0) row(k, '-');
  }
  row('initializers', `${s.initializers.count} (${formatBytes(s.initializers.bytes)}, ${s.initializers.externalCount} external)`);
  for (const f of s.externalDataFiles) row('external data', `${f.location} (${f.tensors} tensors${f.bytes !== undefined ? ', ' + formatBytes(f.bytes) : ''})`);
  if (s.functions.length) row('functions', s.functions.join(', '));
  if (s.thresholdedRelu.length === 0) {
    row('ThresholdedRelu', 'none');
    return;
  }
  row('ThresholdedRelu', `${s.thresholdedRelu.length} node(s)`);
  for (const t of s.thresholdedRelu) {
    const alpha = t.alphaDefault ? '1 (default)' : String(t.alpha);
    io.out(`    ${t.name || '<unnamed>'}  alpha=${alpha}  input=${t.inputType}  in ${t.location}`);
  }
}
