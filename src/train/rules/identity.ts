/** Identity: dX = dY. */
import type { GradRule } from '../context.js';

export const identityGrad: GradRule = { opType: 'Identity', saves: {}, backward: ({ dY }) => [dY[0]] };
