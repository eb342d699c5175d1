/** Add with numpy broadcasting: dA = dY and dB = dY, each summed back to that input's shape. */
import type { GradRule } from '../rule.js';

export const addGrad: GradRule = {
  opType: 'Add',
  saves: { inputs: [0, 1] }, // for their shapes, where the reduction needs them at run time
  backward({ dY, saved, needs, reduceTo }) {
    return [needs(0) ? reduceTo(dY[0]!, saved.input(0)) : undefined, needs(1) ? reduceTo(dY[0]!, saved.input(1)) : undefined];
  },
};
