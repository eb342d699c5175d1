/**
 * The input of a command that rewrites a model file, read with its large
 * inline tensors left in the file (node/rewrite-file.ts) so that the save
 * copies them from there: `trelu replace big.onnx out.onnx` then costs about
 * a `cp` instead of a load + save (bench:io).
 *
 * The output must be the one the ordinary load + save writes, byte for byte.
 * What could tell the two apart is code that reads a tensor's values, which
 * sees an external reference instead of rawData. In the rewrites that code
 * is constantOf (rewrite/constants.ts: thresholds, zeros, Clip's min, up to
 * 2^20 elements), reached only from the inputs of the nodes a rule matches,
 * and shape inference's tensorElements (at most 64 elements: never left in
 * the file). So a tensor stays in the file only when every node that reads it
 * is one of VALUE_BLIND_OPS, ops no rule matches nor looks through (a test
 * checks the rules' patterns against this list); every other one is read
 * into memory before the rewrite, as the ordinary load would have it.
 */
import type { Model } from '../graph/model.js';
import { loadModelFile, type LoadedModel } from '../node/model-file.js';
import { openModelFileLazy, loadTensorBytes, type LazyModel } from '../node/rewrite-file.js';
import type { TensorProto } from '../onnx/proto.js';

/** Ops whose inputs no rewrite reads as constants: the weights of real models sit behind these. */
export const VALUE_BLIND_OPS: ReadonlySet<string> = new Set(['MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'Gather']);

export interface CommandInput {
  loaded: LoadedModel;
  /** Set when the large tensors were left in the file; save with saveLazyModel. */
  lazy?: LazyModel;
}

/** `input` read lazily where that applies (no external data, a file the walk takes apart), else loaded the ordinary way. */
export function openCommandInput(input: string): CommandInput {
  const lazy = openModelFileLazy(input);
  return lazy ? { loaded: lazy.source, lazy } : { loaded: loadModelFile(input) };
}

/**
 * Reads into memory every tensor left in the file that a rewrite could read
 * the values of (see the file comment). `model` is the IR of lazy.model,
 * before any rewrite; its initializers are lazy.model's own TensorProtos.
 */
export function loadReadableTensors(lazy: LazyModel, model: Model): void {
  for (const { graph } of model.allGraphs()) {
    for (const v of graph.initializers) {
      const t = v.initializer as TensorProto | undefined;
      if (!t) continue;
      const blind = !graph.outputs.includes(v) && v.uses().every(({ node }) => VALUE_BLIND_OPS.has(node.opType) && (node.domain === '' || node.domain === 'ai.onnx'));
      if (!blind) loadTensorBytes(lazy, t);
    }
  }
}
