/** Sum (variadic, broadcasting Add): each input gets dY summed back to its shape. */
import type { GradRule } from '../rule.js';

const positions = (n: number) => [...Array(n).keys()];

export const sumGrad: GradRule = {
  opType: 'Sum',
  saves: (node) => ({ inputs: positions(node.inputCount) }), // for their shapes (reduceTo sums the broadcast back)
  backward({ inputCount, dY, saved, needs, reduceTo }) {
    return positions(inputCount).map((i) => (needs(i) ? reduceTo(dY[0]!, saved.input(i)) : undefined));
  },
};
