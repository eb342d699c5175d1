/**
 * Checks every ThresholdedRelu node against the spec and against what each
 * requested ONNX Runtime execution provider can run.
 */
import { AttributeType, DataType } from '../onnx/proto.js';
import { dataTypeName } from '../onnx/dtypes.js';
import type { Model } from '../graph/model.js';
import type { Node } from '../graph/node.js';
import type { Graph } from '../graph/graph.js';
import { graphPlaces, type GraphPlace } from '../graph/locations.js';
import { inferTypes, type TensorInfo } from '../graph/infer.js';
import { topologicalOrder } from '../graph/toposort.js';
import { thresholdedReluOp } from '../ops/thresholded-relu/definition.js';
import { TRELU_DOMAIN } from '../ops/thresholded-relu/grad-function.js';
import { resolveVersion } from '../ops/types.js';
import { KNOWN_EPS, ORT_GEMM_FUSION_VERSIONS, ortKernelFor } from '../ops/thresholded-relu/ort-kernels.js';
import { FINDING_CODES, type Finding, type FindingCode } from './findings.js';
import { isAiOnnxDomain, aiOnnxOpset } from '../onnx/domain.js';

export interface ValidateOptions {
  /** EPs to check, e.g. ['cpu', 'webgpu']. */
  eps?: readonly string[];
}

export interface ValidationReport {
  findings: Finding[];
  errors: number;
  warnings: number;
  /** ThresholdedRelu nodes checked. */
  nodes: number;
}

/** Aliases users type for EPs in the kernel table. */
const EP_ALIASES: Record<string, string> = { 'webgpu-jsep': 'jsep-webgpu', js: 'jsep-webgpu' };

export function validateModel(model: Model, options: ValidateOptions = {}): ValidationReport {
  const findings: Finding[] = [];
  const types = inferTypes(model);
  const eps = (options.eps ?? []).map((e) => EP_ALIASES[e] ?? e);
  let nodes = 0;
  for (const place of graphPlaces(model)) {
    const add = (code: FindingCode, node: Node | undefined, message: string, extra: { fix?: string; ep?: string } = {}) =>
      findings.push({ code, severity: FINDING_CODES[code].severity, node: node?.name ?? '', opType: node?.opType ?? '', location: place.location, message, ...extra });
    checkAcyclic(place.graph, add);
    for (const node of place.graph) {
      if (node.opType === 'Relu' && isAiOnnxDomain(node.domain)) checkShiftedRelu(node, add);
      if (node.opType !== 'ThresholdedRelu') continue;
      if (!isAiOnnxDomain(node.domain)) {
        if (node.domain !== TRELU_DOMAIN) add('foreign-domain', node, `ThresholdedRelu in domain '${node.domain}' is not the ONNX operator`, { fix: 'use the default (ai.onnx) domain if the ONNX operator is meant' });
        continue;
      }
      nodes++;
      checkNode(node, place, model, types, eps, add);
    }
  }
  return {
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    nodes,
  };
}

type Add = (code: FindingCode, node: Node | undefined, message: string, extra?: { fix?: string; ep?: string }) => void;

function checkAcyclic(graph: Graph, add: Add): void {
  try {
    topologicalOrder(graph);
  } catch (e) {
    add('graph-cycle', undefined, e instanceof Error ? e.message : String(e), { fix: 'break the cycle; ONNX graphs must be acyclic' });
  }
}

function opsetFor(place: GraphPlace, model: Model): number | undefined {
  const imports = place.fn ? place.fn.opsetImports : model.opsetImports;
  return aiOnnxOpset(imports);
}

function checkNode(node: Node, place: GraphPlace, model: Model, types: Map<unknown, TensorInfo>, eps: readonly string[], add: Add): void {
  const opset = opsetFor(place, model);
  const version = opset === undefined ? undefined : resolveVersion(thresholdedReluOp, opset);
  if (!version) {
    add('opset-missing', node, opset === undefined ? 'no ai.onnx opset is imported' : `ai.onnx opset ${opset} has no ThresholdedRelu`, { fix: 'import ai.onnx opset 10 or later' });
  } else if (version.experimental) {
    add('experimental-version', node, `opset ${opset} resolves to the experimental ThresholdedRelu-1`, { fix: 'upgrade the model to opset 10 or later (trelu convert --opset 17)' });
  }

  const inputs = node.inputs.filter((v) => v !== undefined);
  if (node.inputs.length !== 1 || inputs.length !== 1) add('input-count', node, `has ${inputs.length} input(s); ThresholdedRelu takes exactly 1`);
  if (node.outputs.length !== 1) add('output-count', node, `has ${node.outputs.length} output(s); ThresholdedRelu has exactly 1`);

  const alphas = node.attributes.filter((a) => a.name === 'alpha');
  for (const a of node.attributes) {
    if (a.name !== 'alpha') add('unknown-attribute', node, `unknown attribute '${a.name}'`, { fix: `remove '${a.name}'; ThresholdedRelu has only alpha` });
  }
  if (alphas.length > 1) add('alpha-duplicate', node, `alpha is given ${alphas.length} times`, { fix: 'keep one alpha attribute' });
  const alpha = alphas[0];
  if (!alpha) {
    add('alpha-default', node, 'alpha is absent: the default 1.0 applies', { fix: 'set alpha explicitly to make the intent visible' });
  } else if (alpha.type !== AttributeType.FLOAT) {
    add('alpha-type', node, `alpha has attribute type ${alpha.type}, expected FLOAT (1)`, { fix: 'write alpha as a FLOAT attribute' });
  } else if (!alpha.refAttrName) {
    if (!Number.isFinite(alpha.f)) add('alpha-non-finite', node, `alpha is ${alpha.f}`, { fix: 'use a finite alpha' });
    else if (alpha.f < 0) add('alpha-negative', node, `alpha = ${alpha.f} < 0: values in (${alpha.f}, 0] pass through, and a gradient computed from Y (Caffe2's) would drop them`, { fix: 'compute the gradient from X (trelu grad does)' });
  }

  const x = inputs[0];
  if (x && !x.graph && !x.producer()) add('input-undefined', node, `input '${x.name}' is produced by nothing`, { fix: 'connect the input to a node output, graph input or initializer' });
  const xi = x ? types.get(x) : undefined;
  const et = xi?.elemType;
  if (x && et === undefined) add('input-type-unknown', node, `the element type of '${x.name}' could not be determined`);
  if (version && et !== undefined && !version.types.includes(et)) {
    const allowed = version.types.map(dataTypeName).join(', ');
    add('input-type', node, `input type ${dataTypeName(et)} is not allowed by ThresholdedRelu-${version.sinceVersion} (allowed: ${allowed})`,
      { fix: dataTypeName(et) === 'BFLOAT16' ? 'bfloat16 needs opset 22; upgrade the model' : 'cast the input to a float type' });
  }
  const y = node.outputs[0];
  const yDeclared = y?.info?.type?.tensorType;
  if (y && yDeclared && et !== undefined) {
    const yi = types.get(y);
    if (y.elemType !== undefined && y.elemType !== et) {
      add('output-type-mismatch', node, `output '${y.name}' is declared ${dataTypeName(y.elemType)}, the input is ${dataTypeName(et)}`, { fix: 'declare the output with the input\'s type' });
    }
    const ys = yi?.shape;
    const xs = xi?.shape;
    if (ys && xs && !shapesCompatible(xs, ys)) {
      add('output-shape-mismatch', node, `output '${y.name}' is declared [${ys.map(dimText).join(',')}], the input is [${xs.map(dimText).join(',')}]`, { fix: 'declare the output with the input\'s shape' });
    }
  }

  if (version) checkEps(node, version.sinceVersion, et, eps, add);
  const producer = x?.producer();
  if (version && producer?.opType === 'Gemm' && !ORT_GEMM_FUSION_VERSIONS.includes(version.sinceVersion)) {
    add('gemm-fusion-skipped', node, `Gemm → ThresholdedRelu-${version.sinceVersion} is not fused by ORT's CPU Gemm+activation fusion (versions ${ORT_GEMM_FUSION_VERSIONS.join(', ')} only)`);
  }
}

function checkEps(node: Node, version: number, et: number | undefined, eps: readonly string[], add: Add): void {
  for (const ep of eps) {
    if (!KNOWN_EPS.includes(ep)) {
      add('ep-unknown', node, `no kernel data for EP '${ep}' (known: ${KNOWN_EPS.join(', ')})`, { ep });
      continue;
    }
    if (et === undefined) continue; // input-type-unknown already says it
    if (ortKernelFor(ep, version, et)) continue;
    const what = `ThresholdedRelu-${version}(${dataTypeName(et)})`;
    const cpuEp = ep === 'wasm' ? 'wasm' : 'cpu';
    // ORT's InsertCastTransformer (onnxruntime/core/optimizer/insert_cast_transformer.cc) runs float16
    // nodes that only have a float kernel on the CPU EP through Cast to float and back.
    const viaCast = et === DataType.FLOAT16 && !!ortKernelFor(cpuEp, version, DataType.FLOAT);
    if (ep === cpuEp && viaCast) {
      add('ep-cast-fallback', node, `${ep} has no float16 kernel for ${what}; ORT casts to float32 and back, so alpha is compared in float32, not rounded to float16 as the spec says`, {
        ep, fix: 'results differ from the spec only for x between alpha and float16(alpha); run on webgpu/cuda for float16 kernels',
      });
    } else if (ep !== cpuEp && (ortKernelFor(cpuEp, version, et) || viaCast)) {
      add('ep-cpu-fallback', node, `${ep} has no kernel for ${what}; ORT would run this node on the CPU EP`, { ep, fix: et === 10 ? 'keep float16 on GPU EPs, or cast to float32' : 'cast the input to float32' });
    } else {
      add('ep-no-kernel', node, `${ep}${ep !== cpuEp ? ` and ${cpuEp}` : ''} have no kernel for ${what}: session creation would fail`, { ep, fix: 'cast the input to float32, or decompose the op (trelu decompose)' });
    }
  }
}

function dimText(d: number | string | undefined): string {
  return d === undefined ? '?' : String(d);
}

function shapesCompatible(a: (number | string | undefined)[], b: (number | string | undefined)[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((d, i) => {
    const e = b[i];
    return typeof d !== 'number' || typeof e !== 'number' || d === e;
  });
}

function checkShiftedRelu(relu: Node, add: Add): void {
  const sub = relu.inputs[0]?.producer();
  if (!sub || sub.opType !== 'Sub') return;
  const c = sub.inputs[1];
  const isConstant = !!c && (!!c.initializer || c.producer()?.opType === 'Constant');
  if (!isConstant) return;
  add('shifted-relu', relu, `Relu(Sub(X, ${c!.name})) computes max(0, x - c), a shifted ReLU; ThresholdedRelu(alpha = c) would output x itself above c`, {
    fix: 'if a threshold was meant, use ThresholdedRelu(alpha = c); otherwise ignore',
  });
}
