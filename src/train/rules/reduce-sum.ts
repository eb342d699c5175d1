/** ReduceSum: dX = dY broadcast back over the reduced axes. */
import type { GradRule } from '../rule.js';
import { broadcastBack } from './reduce-back.js';

export const reduceSumGrad: GradRule = { opType: 'ReduceSum', saves: { inputs: [0] }, backward: (ctx) => broadcastBack(ctx, false) };
