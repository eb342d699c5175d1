/**
 * The opset-9 and opset-10 steps of Upsample (7: scales attribute; 9: scales input; deprecated at
 * 10), and the opset-11 step of Resize-10: the node becomes the Resize that computes what ORT
 * computes for it. ORT runs Upsample with
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

/** Why the asymmetric Resize cannot reproduce ORT's rounding for this node, or undefined. */
function roundingBlock(node: Node): string | undefined {
  if (!['nearest', 'linear'].includes(mode(node))) return `mode '${node.attrs.string('mode', '')}'`;
  if (mode(node) !== 'nearest') return undefined;
  const s = scalesOf(node);
  if (!s) return 'nearest with scales computed at run time: the rounding ORT uses depends on their values';
  if (s.some((v) => v > 1) && s.some((v) => v < 1)) return 'nearest upsampling one axis and downsampling another: ORT rounds them differently, Resize has one nearest_mode';
  return undefined;
}

/** Why this Upsample cannot become a Resize, or undefined. */
export function upsampleBlock(node: Node): string | undefined {
  const why = roundingBlock(node);
  return why && `Upsample is deprecated in opset 10 and this one cannot become a Resize: ${why}`;
}

/** Why this Resize-10 (X, scales: Upsample-9's semantics) cannot become a Resize-11, or undefined. */
export function resize10Block(node: Node): string | undefined {
  const why = roundingBlock(node);
  return why && `Resize-10 computes as Upsample does; this one cannot be written as a Resize-11: ${why}`;
}

/** Resize-10 → 11: X, roi, scales, coordinate_transformation_mode asymmetric, ORT's Upsample rounding for nearest. */
export function resize10To11(node: Node, ctx: { model: Model; graph: Graph; target: number }): string {
  const m = mode(node);
  const values = scalesOf(node);
  const scales = node.inputs[1];
  let roi: Value | undefined;
  if (ctx.target < 13) {
    // roi is a required input of Resize-11 and 12 (optional from 13): an empty one
    const name = ctx.model.valueNames.unique(`${node.name || 'resize'}_roi`);
    roi = new Value(name, { initializer: makeTensor(name, [0], new Float32Array(0)) });
    ctx.graph.addInitializer(roi);
  }
  node.replaceInput(1, roi);
  node.appendInput(scales);
  node.setAttribute(attr.string('coordinate_transformation_mode', 'asymmetric'));
  if (m === 'nearest') node.setAttribute(attr.string('nearest_mode', values?.some((v) => v < 1) ? 'ceil' : 'floor'));
  return `scales → input 2, asymmetric${m === 'nearest' ? ', the rounding of ORT\'s Resize-10' : ''}`;
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
  upsampleScalesToInput(node, ctx);
  node.opType = 'Resize';
  node.setAttribute(attr.string('mode', m));
  if (ctx.target < 11) return 'Upsample → Resize-10 (same inputs and results)';
  resize10To11(node, ctx);
  return `Upsample → Resize (${m}, asymmetric${m === 'nearest' ? ', the rounding of ORT\'s Upsample' : ''})`;
}
