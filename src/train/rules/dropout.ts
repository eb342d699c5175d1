/** Dropout in inference mode is the identity: dX = dY. Training mode is refused. */
import Long from 'long';
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
    const isTest = node.attribute('is_test');
    if (isTest && Long.fromValue(isTest.i).toNumber() === 0) unsupported('training mode (is_test = 0)');
    return [dY[0], undefined, undefined];
  },
};
