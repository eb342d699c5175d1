/**
 * Shared weights: an initializer read by several nodes (directly or through
 * the Identity aliases exporters write when they merge equal initializers)
 * gets the sum of their gradients. `sharedParameters` lists them for the
 * report; `untie` gives each reader after the first its own copy, as in the
 * source model.
 */
import type { Model } from '../graph/model.js';
import type { Node } from '../graph/node.js';
import { Value } from '../graph/value.js';
import { isAiOnnxDomain } from '../onnx/domain.js';
import { isArithmeticFloat } from '../onnx/dtypes.js';

/** An initializer read by several nodes (directly or through Identity nodes): its gradient is the sum over them. */
export interface SharedParameter {
  tensor: string;
  readers: string[];
  /** With untie: the parameter each reader got, in the order of `readers` (the first keeps the original). */
  untiedAs?: string[];
}

/** The nodes that read `v`, looking through Identity nodes (how exporters share a merged initializer). */
function readers(v: Value): { node: Node; index: number }[] {
  const out: { node: Node; index: number }[] = [];
  for (const u of v.uses()) {
    if (u.node.opType === 'Identity' && isAiOnnxDomain(u.node.domain) && u.node.outputs[0]) out.push(...readers(u.node.outputs[0]));
    else out.push({ node: u.node, index: u.index });
  }
  return out;
}

export function sharedParameters(wrt: readonly Value[]): SharedParameter[] {
  return wrt.filter((v) => v.initializer).map((v) => ({ v, r: readers(v) })).filter(({ r }) => new Set(r.map((x) => x.node)).size > 1)
    .map(({ v, r }) => ({ tensor: v.name, readers: r.map((x) => x.node.name || x.node.outputs[0]?.name || x.node.opType) }));
}

/** Each reader after the first gets its own initializer (a copy of the value), read directly (the Identity aliases bypassed). */
export function untie(model: Model, wrt: readonly Value[], shared: SharedParameter[]): Value[] {
  const byName = new Map(shared.map((s) => [s.tensor, s]));
  const out: Value[] = [];
  for (const v of wrt) {
    out.push(v);
    const s = byName.get(v.name);
    if (!s) continue;
    const rs = readers(v);
    s.untiedAs = [v.name];
    rs.forEach((r, k) => {
      if (k === 0) {
        if (r.node.inputs[r.index] !== v) r.node.replaceInput(r.index, v);
        return;
      }
      const name = model.valueNames.unique(`${v.name}.untied_${k}`);
      const copy = new Value(name, { initializer: Object.assign(Object.create(Object.getPrototypeOf(v.initializer!)), v.initializer!, { name }) });
      model.graph.addInitializer(copy);
      r.node.replaceInput(r.index, copy);
      s.untiedAs!.push(name);
      out.push(copy);
    });
  }
  return out;
}


/**
 * Unties every float initializer of rank >= 1 that several nodes read, as a
 * pass on `model` before training artifacts are built: torch.onnx's eval-mode
 * export merges initializers whose values happen to be equal (squeezenet's
 * zero Conv biases, BatchNorm running statistics at their initial values), and
 * tied they would train, or be updated, as one tensor. Returns what was untied
 * (`untiedAs[k]` is reader k's tensor; the first keeps the original). Keep the
 * untied model as the one the trained weights are exported into.
 */
export function untieSharedWeights(model: Model): SharedParameter[] {
  const candidates = model.graph.initializers.filter((v) => isArithmeticFloat(v.initializer!.dataType) && v.initializer!.dims.length > 0);
  const shared = sharedParameters(candidates);
  if (shared.length) untie(model, candidates, shared);
  return shared;
}
