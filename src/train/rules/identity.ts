/** Identity: dX = dY. */
import type { GradRule } from '../rule.js';

export const identityGrad: GradRule = { opType: 'Identity', saves: {}, backward: ({ dY }) => [dY[0]] };
