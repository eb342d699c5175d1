/** Dropout in inference mode is the identity: dX = dY. Training mode is refused. */
import type { GradRule } from '../rule.js';

export const dropoutGrad: GradRule = {
  opType: 'Dropout',
  saves: {},
  backward({ attrs, hasInput, constantInput, dY, unsupported }) {
    if (hasInput(2)) {
      const c = constantInput(2);
      if (!c || c.some((v) => v !== 0)) unsupported('training mode (or a training_mode that is not a constant false)');
    }
    if (attrs.int('is_test', 1) === 0) unsupported('training mode (is_test = 0)');
    return [dY[0], undefined, undefined];
  },
};
