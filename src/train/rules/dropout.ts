/** Dropout in inference mode is the identity: dX = dY. Training mode is refused. */
import { constantOf } from '../../rewrite/constants.js';
import type { GradRule } from '../context.js';

export const dropoutGrad: GradRule = {
  opType: 'Dropout',
  saves: {},
  backward({ node, dY, unsupported }) {
    const mode = node.inputs[2];
    if (mode) {
      const c = constantOf(mode);
      if (!c || c.values.some((v) => v !== 0)) unsupported('training mode (or a training_mode that is not a constant false)');
    }
    if (node.attrs.int('is_test', 1) === 0) unsupported('training mode (is_test = 0)');
    return [dY[0], undefined, undefined];
  },
};
