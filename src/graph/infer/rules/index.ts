/** Every ai.onnx shape rule, by op type: a plain object built from the families' tables. */
import type { ShapeRule } from '../types.js';
import { ELEMENTWISE_RULES } from './elementwise.js';
import { CONV_POOL_RULES } from './conv-pool.js';
import { SHAPE_OP_RULES } from './shape-ops.js';
import { GATHER_RULES } from './gather.js';
import { GENERATOR_RULES } from './generators.js';
import { REDUCE_RULES } from './reduce.js';
import { MATMUL_RULES } from './matmul.js';

export const SHAPE_RULES: Readonly<Record<string, ShapeRule>> = {
  ...ELEMENTWISE_RULES,
  ...CONV_POOL_RULES,
  ...SHAPE_OP_RULES,
  ...GATHER_RULES,
  ...GENERATOR_RULES,
  ...REDUCE_RULES,
  ...MATMUL_RULES,
};
