/** ReduceMean: dX = dY / (the reduced axes' size), broadcast back over them. */
import type { GradRule } from '../rule.js';
import { broadcastBack } from './reduce-back.js';

export const reduceMeanGrad: GradRule = { opType: 'ReduceMean', saves: { inputs: [0] }, backward: (ctx) => broadcastBack(ctx, true) };
