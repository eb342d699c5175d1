/** Sum (variadic, broadcasting Add): each input gets dY summed back to its shape. */
import type { GradRule } from '../legacy-rule.js';

export const sumGrad: GradRule = {
  opType: 'Sum',
  // every input, for its shape (reduceTo sums the broadcast back)
  saves: (node) => ({ inputs: node.inputs.map((_, i) => i) }),
  backward({ node, dY, needs, reduceTo }) {
    return node.inputs.map((x, i) => (x && needs(i) ? reduceTo(dY[0]!, x) : undefined));
  },
};
