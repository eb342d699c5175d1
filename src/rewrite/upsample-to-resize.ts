/**
 * The opset-9 and opset-10 steps of Upsample (7: scales attribute; 9: scales input; deprecated at 10): the node
 * becomes the Resize that computes what ORT computes for it. ORT runs Upsample with
 * coordinate_transformation_mode asymmetric (x / scale) and, for nearest, NearestMode::SIMPLE
 * (onnxruntime/core/providers/cpu/tensor/upsamplebase.h: the coordinate truncated when upsampling,
 * rounded up when downsampling), so the Resize gets those; at a target of 10 Resize-10 has the same
 * inputs and semantics as Upsample-9. Checked against ORT's own Upsample in
 * test/rewrite/upsample-to-resize.test.ts.
 */
import { makeTensor } from '../onnx/tensor.js';
import { attr } from '../graph/attributes.js';
import type { Graph } from '../graph/graph.js';
import type { Model } from '../graph/model.js';
import type { Node } from '../graph/node.js';
import { Value } from '../graph/value.js';
import { constantOf } from './constants.js';

function scalesOf(node: Node): number[] | undefined {
  return node.attrs.floats('scales') ?? constantOf(node.inputs[1])?.values;
}

function mode(node: Node): string {
  const m = node.attrs.string('mode', 'nearest');
  return m === 'bilinear' ? 'linear' : m;
}

/** Why this Upsample cannot become a Resize, or undefined. */
export function upsampleBlock(node: Node): string | undefined {
  const why = (() => {
    if (!['nearest', 'linear'].includes(mode(node))) return `mode '${node.attrs.string('mode', '')}'`;
    if (mode(node) !== 'nearest') return undefined;
    const s = scalesOf(node);
    if (!s) return 'nearest with scales computed at run time: the rounding ORT uses depends on their values';
    if (s.some((v) => v > 1) && s.some((v) => v < 1)) return 'nearest upsampling one axis and downsampling another: ORT rounds them differently, Resize has one nearest_mode';
    return undefined;
  })();
  return why && `Upsample is deprecated in opset 10 and this one cannot become a Resize: ${why}`;
}

/** The opset-9 step: the scales attribute (Upsample-7) becomes input 1. */
export function upsampleScalesToInput(node: Node, ctx: { model: Model; graph: Graph }): string | undefined {
  const fromAttr = node.attrs.floats('scales');
  if (!fromAttr) return undefined;
  const name = ctx.model.valueNames.unique(`${node.name || 'upsample'}_scales`);
  const v = new Value(name, { initializer: makeTensor(name, [fromAttr.length], Float32Array.from(fromAttr)) });
  ctx.graph.addInitializer(v);
  node.removeAttribute('scales');
  if (node.inputs.length < 2) node.appendInput(v);
  else node.replaceInput(1, v);
  return 'attribute scales → input 1';
}

export function upsampleToResize(node: Node, ctx: { model: Model; graph: Graph; target: number }): string {
  const m = mode(node);
  const values = scalesOf(node);
  upsampleScalesToInput(node, ctx);
  const scales = node.inputs[1];
  node.opType = 'Resize';
  node.setAttribute(attr.string('mode', m));
  if (ctx.target < 11) return 'Upsample → Resize-10 (same inputs and results)';
  // Resize-11: X, roi, scales (roi unused outside tf_crop_and_resize)
  node.replaceInput(1, undefined);
  node.appendInput(scales);
  node.setAttribute(attr.string('coordinate_transformation_mode', 'asymmetric'));
  if (m === 'nearest') node.setAttribute(attr.string('nearest_mode', values?.some((v) => v < 1) ? 'ceil' : 'floor'));
  return `Upsample → Resize (${m}, asymmetric${m === 'nearest' ? ', the rounding of ORT\'s Upsample' : ''})`;
}
