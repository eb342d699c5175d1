/**
 * Rules that route dY by where each output element came from:
 *   Max/Min (elementwise, n inputs)  each input gets dY where it is the extreme, split among ties
 *   Tile        dX = Σ over the tiles: dY as [r0, d0, r1, d1, ...] summed over the r axes (sizes known)
 *   Pad         constant: dX = Slice of dY; reflect/edge: the same Pad applied to the flat index of each
 *               element of X says where each element of dY came from, and dY is scatter-added there
 *   GatherElements   dX = ScatterElements(zeros, indices, dY, reduction add), indices made non-negative
 *   LSTM/GRU/RNN     a refusal naming the node and why
 */
import { flatIndex, scatterAdd } from './scatter-add.js';
import type { Value } from '../../graph/value.js';
import type { GradContext, GradRule as Rule } from '../rule.js';

const positions = (n: number) => [...Array(n).keys()];

function extremeOf(opType: 'Max' | 'Min'): Rule {
  return {
    opType,
    saves: (node) => ({ inputs: positions(node.inputCount), outputs: [0] }),
    backward(ctx) {
      const { inputCount, b, dY, saved, needs, reduceTo } = ctx;
      const y = saved.output(0);
      const masks = positions(inputCount).map((i) => b.op('CastLike', [b.op('Equal', [saved.input(i), y], { name: 'ext_is' }), y], { name: 'ext_is' }));
      const ties = masks.length === 1 ? masks[0]! : b.op('Sum', masks, { name: 'ext_ties' });
      const share = b.op('Div', [dY[0], ties], { name: 'ext_share' });
      return positions(inputCount).map((i) => (needs(i) ? reduceTo(b.op('Mul', [share, masks[i]], { name: 'ext_grad' }), saved.input(i)) : undefined));
    },
  };
}
export const maxGrad = extremeOf('Max');
export const minGrad = extremeOf('Min');

export const tileGrad: Rule = {
  opType: 'Tile',
  saves: {},
  backward({ b, dY, inputInfo, constantInput, ints, unsupported }) {
    const shape = inputInfo(0).shape;
    const reps = constantInput(1);
    if (!shape || !shape.every((d) => typeof d === 'number') || !reps) unsupported('needs the input shape and constant repeats');
    const dims = shape as number[];
    const split = dims.flatMap((d, i) => [reps![i]!, d]);
    const summed = b.op('ReduceSum', [b.op('Reshape', [dY[0], ints(split)], { name: 'tile_split' }), ints(dims.map((_, i) => 2 * i))], { name: 'tile_grad', attributes: { keepdims: 0 } });
    return [summed, undefined];
  },
};


export const padGrad: Rule = {
  opType: 'Pad',
  saves: { inputs: [0, 1, 3] }, // X for its shape; pads and axes where the index is padded like X
  backward(ctx) {
    const { attrs, b, dY, saved, inputInfo, constantInput, hasInput, ints, opset, unsupported } = ctx;
    const x = saved.input(0);
    const mode = attrs.string('mode', 'constant');
    if (opset < 11) unsupported('pads as an attribute (before opset 11)');
    if (mode === 'constant') {
      const pads = constantInput(1);
      const rank = inputInfo(0).rank;
      if (pads && rank !== undefined && !hasInput(3) && pads.every((p) => p >= 0)) {
        const begin = pads.slice(0, rank);
        // ends: begin + X's size, read from the graph; slicing dY back to X's extent
        const end = b.op('Add', [ints(begin), b.op('Shape', [x], { name: 'grad_shape' })], { name: 'pad_end' });
        return [b.op('Slice', [dY[0], ints(begin), end], { name: 'pad_grad' }), undefined, undefined, undefined];
      }
    } else if (mode !== 'reflect' && mode !== 'edge') unsupported(`mode '${mode}'`);
    // Every mode (and computed or negative pads): pad the flat index of X the same way; each element
    // of dY then names the element of X it came from. Constant padding names a sentinel slot.
    const { index, size, shape } = flatIndex(ctx, x);
    if (mode === 'constant') {
      // constant padding gets index `size` (one past the end) and lands in an extra slot dropped after
      const sentinel = b.op('Reshape', [size, ints([])], { name: 'pad_sentinel' });
      const where = b.op('Pad', [index, saved.input(1), sentinel, ...(hasInput(3) ? [saved.input(3)] : [])], { name: 'pad_where', attributes: { mode } });
      const plusOne = b.op('Add', [size, ints([1])], { name: 'pad_n1' });
      const zeros = b.op('CastLike', [b.op('ConstantOfShape', [b.op('Reshape', [plusOne, ints([1])], { name: 'pad_n1' })], { name: 'pad_zeros' }), x], { name: 'pad_zeros' });
      const flat = b.op('ScatterElements', [zeros, b.op('Reshape', [where, ints([-1])], { name: 'pad_where' }), b.op('Reshape', [dY[0], ints([-1])], { name: 'pad_dy' })], { name: 'pad_scatter', attributes: { axis: 0, reduction: 'add' } });
      const kept = b.op('Slice', [flat, ints([0]), b.op('Reshape', [size, ints([1])], { name: 'pad_n' })], { name: 'pad_kept' });
      return [b.op('Reshape', [kept, shape], { name: 'pad_grad' }), undefined, undefined, undefined];
    }
    const where = b.op('Pad', [index, saved.input(1), undefined, ...(hasInput(3) ? [saved.input(3)] : [])], { name: 'pad_where', attributes: { mode } });
    return [scatterAdd(ctx, x, where, size, shape), undefined, undefined, undefined];
  },
};

export const gatherElementsGrad: Rule = {
  opType: 'GatherElements',
  saves: { inputs: [0, 1] },
  backward({ attrs, b, dY, saved, ints, zerosLike }) {
    const [x, idx] = [saved.input(0), saved.input(1)];
    const axis = attrs.int('axis', 0);
    // negative indices count from the end of the axis
    const dim = b.op('Gather', [b.op('Shape', [x], { name: 'grad_shape' }), ints([axis])], { name: 'ge_dim', attributes: { axis: 0 } });
    const idx64 = b.op('Cast', [idx], { name: 'ge_idx', attributes: { to: 7 } });
    const fixed = b.op('Where', [b.op('Less', [idx64, ints([0])], { name: 'ge_neg' }), b.op('Add', [idx64, dim], { name: 'ge_wrap' }), idx64], { name: 'ge_idx' });
    return [b.op('ScatterElements', [zerosLike(x!), fixed, dY[0]], { name: 'ge_grad', attributes: { axis, reduction: 'add' } }), undefined];
  },
};

const recurrent = (opType: string): Rule => ({
  opType,
  saves: {},
  backward: ({ unsupported }) => unsupported(`${opType} is not differentiated (its backward pass through time has no rule here); export the network with the recurrence unrolled, or train it where ${opType}'s gradient exists (ORT training, PyTorch)`),
});


export const INDEX_OPS: readonly Rule[] = [maxGrad, minGrad, tileGrad, padGrad, gatherElementsGrad, recurrent('LSTM'), recurrent('GRU'), recurrent('RNN')];
