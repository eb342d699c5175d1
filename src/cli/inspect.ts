/** `trelu inspect <model>`: what is in a model, with every ThresholdedRelu node. */
import { loadModelFile } from '../node/model-file.js';
import { modelFromProto } from '../graph/from-proto.js';
import { summarizeModel, type ModelSummary } from '../graph/summary.js';
import { graphPlaces } from '../graph/locations.js';
import type { Model } from '../graph/model.js';
import { inferModel } from '../graph/infer/index.js';
import { dataTypeInfo } from '../onnx/dtypes.js';
import type { Value } from '../graph/value.js';
import { formatFloat32 } from '../rewrite/format.js';
import { formatBytes, printJson, type Io } from './output.js';

export interface InspectOptions {
  json?: boolean;
  /** List every node: name, op, inputs → outputs (with inferred types), subgraphs. */
  nodes?: boolean;
}

export interface NodeListing {
  location: string;
  name: string;
  op: string;
  inputs: string[];
  outputs: { name: string; type: string }[];
  subgraphs: string[];
}

const typeText = (v: Value) => {
  const et = v.dtype;
  const shape = v.shapeInfo;
  const info = et === undefined ? undefined : dataTypeInfo(et);
  return `${et === undefined ? '?' : info?.ortName ?? info?.name.toLowerCase() ?? et}${shape ? `[${shape.map((d) => d ?? '?').join(',')}]` : ''}`;
};

/** Every node of every graph, in file order, with inferred output types. */
export function listNodes(model: Model): NodeListing[] {
  inferModel(model);
  return graphPlaces(model).flatMap(({ graph, location }) => graph.nodes.map((n) => ({
    location,
    name: n.name,
    op: `${n.domain && n.domain !== 'ai.onnx' ? n.domain + '::' : ''}${n.opType}`,
    inputs: n.inputs.map((v) => v?.name ?? ''),
    outputs: n.outputs.map((v) => ({ name: v.name, type: typeText(v) })),
    subgraphs: [...n.subgraphs.keys()],
  })));
}

export function inspectCommand(io: Io, file: string, options: InspectOptions): number {
  const loaded = loadModelFile(file);
  const model = modelFromProto(loaded.model);
  const summary = summarizeModel(model, new Map(loaded.externalFiles.map((f) => [f.location, f.size])));
  const nodes = options.nodes ? listNodes(model) : undefined;
  if (options.json) {
    printJson(io, { file, bytes: loaded.size, ...summary, ...(nodes ? { nodeList: nodes } : {}) });
    return 0;
  }
  printSummary(io, file, loaded.size, summary);
  if (nodes) {
    io.out(`nodes (${nodes.length}):`);
    let place = '';
    for (const n of nodes) {
      if (n.location !== place) {
        place = n.location;
        io.out(`  in ${place}:`);
      }
      const subs = n.subgraphs.length ? `  [subgraphs: ${n.subgraphs.join(', ')}]` : '';
      io.out(`    ${n.name || '<unnamed>'}  ${n.op}(${n.inputs.map((i) => i || '""').join(', ')}) → ${n.outputs.map((o) => `${o.name}: ${o.type}`).join(', ')}${subs}`);
    }
  } else {
    io.out(`  (trelu inspect ${file} --nodes lists every node with its inputs, outputs and types)`);
  }
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
    const alpha = t.alphaDefault ? '1 (default)' : formatFloat32(t.alpha);
    io.out(`    ${t.name || '<unnamed>'}  alpha=${alpha}  input=${t.inputType}  in ${t.location}`);
  }
}
