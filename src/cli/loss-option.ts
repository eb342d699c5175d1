/** `--loss-fn`, one vocabulary for trelu grad and both artifact formats: the losses buildGradient can append. */
import { TreluError } from '../errors.js';
import { LOSS_FUNCTIONS, type LossFunction } from '../train/loss.js';

/** The --loss-fn value checked against LOSS_FUNCTIONS (E_USAGE naming them otherwise); undefined stays undefined. */
export function parseLossFn(value: string | undefined): LossFunction | undefined {
  if (value === undefined) return undefined;
  if (!LOSS_FUNCTIONS.includes(value as LossFunction)) throw new TreluError('E_USAGE', `--loss-fn '${value}' is not one of ${LOSS_FUNCTIONS.join(', ')}`);
  return value as LossFunction;
}
