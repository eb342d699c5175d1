/**
 * Optimizer updates as standard ONNX ops, with torch.optim's semantics
 * (torch 1.13, the single-tensor code paths), so that a train step in ORT
 * matches the same step in PyTorch:
 *
 *   sgd       g += wd·p;                 p -= lr·g
 *   momentum  g += wd·p; buf = μ·buf + g; p -= lr·(nesterov ? g + μ·buf : buf)
 *             (dampening 0: torch's first step sets buf = g, the same as starting from zeros)
 *   adamw     p *= 1 - lr·wd  (decoupled);  m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²
 *             p -= lr/(1-β1^t) · m / (√v / √(1-β2^t) + ε)      (t = step, 1-based)
 *
 * The bias corrections are folded into two per-step scalars (see stepScalars),
 * computed once for all parameters: p -= (lr·√(1-β2^t)/(1-β1^t)) · m / (√v + ε·√(1-β2^t)),
 * the same value up to float32 rounding. Gradient accumulation's mean (1/N) and
 * clip_grad_norm_'s coefficient are one more per-step scalar (StepScalars.gradScale),
 * folded into AdamW's and plain SGD's scalars rather than multiplied into every gradient.
 */
import { TreluError } from '../../errors.js';
import type { Builder } from '../../graph/builder.js';
import type { Value } from '../../graph/value.js';
import { f32 } from '../artifacts/graph-constants.js';

export type OptimizerKind = 'sgd' | 'momentum' | 'adamw';
export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['sgd', 'momentum', 'adamw'];

export interface OptimizerConfig {
  kind: OptimizerKind;
  /** The learning rate the trainer feeds unless a schedule says otherwise (the graph takes `lr` as an input). */
  lr: number;
  /** momentum: μ (default 0.9). */
  momentum?: number;
  nesterov?: boolean;
  /** L2 (sgd, momentum: added to the gradient) or decoupled (adamw) weight decay. Default 0 (adamw: 0.01, as torch). */
  weightDecay?: number;
  betas?: readonly [number, number];
  eps?: number;
}

/** The configuration with torch's defaults filled in. */
export function resolveOptimizer(c: OptimizerConfig): Required<OptimizerConfig> {
  if (!OPTIMIZER_KINDS.includes(c.kind)) throw new TreluError('E_USAGE', `unknown optimizer '${c.kind}'`, { hint: `choose from ${OPTIMIZER_KINDS.join(', ')}` });
  const r: Required<OptimizerConfig> = {
    kind: c.kind,
    lr: c.lr,
    momentum: c.momentum ?? (c.kind === 'momentum' ? 0.9 : 0),
    nesterov: c.nesterov ?? false,
    weightDecay: c.weightDecay ?? (c.kind === 'adamw' ? 0.01 : 0),
    betas: c.betas ?? [0.9, 0.999],
    eps: c.eps ?? 1e-8,
  };
  const bad = (what: string) => { throw new TreluError('E_USAGE', `optimizer: ${what}`); };
  if (!(r.lr >= 0) || !Number.isFinite(r.lr)) bad(`lr must be a finite number >= 0, not ${r.lr}`);
  if (!(r.momentum >= 0 && r.momentum < 1)) bad(`momentum must be in [0, 1), not ${r.momentum}`);
  if (r.nesterov && (r.kind !== 'momentum' || r.momentum === 0)) bad('--nesterov needs --optimizer momentum with a momentum > 0');
  if (!(r.weightDecay >= 0)) bad(`weight decay must be >= 0, not ${r.weightDecay}`);
  if (!r.betas.every((x) => x >= 0 && x < 1) || r.betas.length !== 2) bad(`betas must be two numbers in [0, 1), not ${r.betas.join(',')}`);
  if (!(r.eps > 0)) bad(`eps must be > 0, not ${r.eps}`);
  return r;
}

/** The state slots each parameter has, named as in torch's optimizer state_dict. */
export function stateSlots(kind: OptimizerKind): readonly string[] {
  return kind === 'momentum' ? ['momentum_buffer'] : kind === 'adamw' ? ['exp_avg', 'exp_avg_sq'] : [];
}

export interface ParamUpdate {
  param: Value;
  grad: Value;
  /** Current values of the state slots, in stateSlots order. */
  state: readonly Value[];
}

/**
 * What every parameter's update shares in one step: the scalar constants and
 * the per-step scalars (from `lr` and `step`), each computed once per step
 * rather than once per parameter (a parameter's update is then full-size
 * nodes only: ORT's per-node cost dominates models with many small tensors).
 */
export interface StepScalars {
  readonly config: Required<OptimizerConfig>;
  readonly lr: Value;
  /** A float32 scalar Constant, one per distinct value. */
  constant(v: number): Value;
  /** adamw: 1 - lr·wd (undefined when wd = 0). */
  readonly decay?: Value;
  /** adamw: lr·√(1-β2^t)/(1-β1^t), the step size with both bias corrections folded in. */
  readonly stepSize?: Value;
  /** adamw: ε·√(1-β2^t), so that √v̂ + ε = (√v + ε·√(1-β2^t)) / √(1-β2^t). */
  readonly epsHat?: Value;
  /**
   * The factor the gradients still have to be multiplied by (the accumulation's 1/N, the clipping
   * coefficient), or undefined. adamw and plain sgd fold it into their scalars (gradM, gradV,
   * sgdRate): no full-size pass of its own; momentum and sgd with weight decay scale g once.
   */
  readonly gradScale?: Value;
  /** adamw: (1-β1)·scale and (1-β2)·scale², the factors of g in m and in g·g for v. */
  readonly gradM?: Value;
  readonly gradV?: Value;
  /** sgd without weight decay: lr·scale (lr without a gradScale). */
  readonly sgdRate?: Value;
}

/** The step's shared scalars, appended once before the parameters' updates. */
export function stepScalars(b: Builder, config: Required<OptimizerConfig>, lr: Value, step: Value, gradScale?: Value): StepScalars {
  const constants = new Map<number, Value>();
  const constant = (v: number) => {
    let c = constants.get(v);
    if (!c) constants.set(v, (c = f32(b, v, 'opt_const')));
    return c;
  };
  if (config.kind === 'sgd' && !config.weightDecay) return { config, lr, constant, gradScale, sgdRate: gradScale ? b.op('Mul', [lr, gradScale], { name: 'opt_sgd_rate' }) : lr };
  if (config.kind !== 'adamw') return { config, lr, constant, gradScale };
  const [b1, b2] = config.betas;
  const gradM = gradScale ? b.op('Mul', [constant(1 - b1), gradScale], { name: 'opt_grad_m' }) : constant(1 - b1);
  const gradV = gradScale ? b.op('Mul', [constant(1 - b2), b.op('Mul', [gradScale, gradScale], { name: 'opt_scale_sq' })], { name: 'opt_grad_v' }) : constant(1 - b2);
  const one = constant(1);
  const decay = config.weightDecay ? b.op('Sub', [one, b.op('Mul', [lr, constant(config.weightDecay)], { name: 'opt_lr_wd' })], { name: 'opt_decay' }) : undefined;
  const bc1 = b.op('Sub', [one, b.op('Pow', [constant(b1), step], { name: 'opt_b1t' })], { name: 'opt_bc1' });
  const bc2Sqrt = b.op('Sqrt', [b.op('Sub', [one, b.op('Pow', [constant(b2), step], { name: 'opt_b2t' })], { name: 'opt_bc2' })], { name: 'opt_bc2_sqrt' });
  const stepSize = b.op('Div', [b.op('Mul', [lr, bc2Sqrt], { name: 'opt_lr_bc2' }), bc1], { name: 'opt_step_size' });
  const epsHat = b.op('Mul', [constant(config.eps), bc2Sqrt], { name: 'opt_eps_hat' });
  return { config, lr, constant, decay, stepSize, epsHat, gradScale, gradM, gradV };
}

/**
 * Appends one parameter's update; returns the new parameter and the new state (stateSlots order).
 * Full-size passes: adamw 13 (12 without weight decay), momentum 4 (+2 for weight decay, +2 for
 * Nesterov, +1 with a gradScale), sgd 2 (+2 for weight decay, then +1 with a gradScale).
 */
export function appendUpdate(b: Builder, s: StepScalars, u: ParamUpdate): { param: Value; state: Value[] } {
  const { config, lr, constant } = s;
  const mul = (x: Value, y: Value, name = 'opt_mul') => b.op('Mul', [x, y], { name });
  const add = (x: Value, y: Value, name = 'opt_add') => b.op('Add', [x, y], { name });
  const sub = (x: Value, y: Value, name = 'opt_sub') => b.op('Sub', [x, y], { name });
  const { param: p, grad } = u;
  if (config.kind === 'adamw') {
    const [b1, b2] = config.betas;
    // with a gradScale c: (1-β1)·(c·g) = ((1-β1)·c)·g and (1-β2)·(c·g)² = (((1-β2)·c²)·g)·g
    const m = add(mul(u.state[0]!, constant(b1)), mul(grad, s.gradM!), 'opt_exp_avg');
    const v = add(mul(u.state[1]!, constant(b2)), mul(mul(grad, s.gradV!, 'opt_g_scaled'), grad, 'opt_g2'), 'opt_exp_avg_sq');
    // m̂ / (√v̂ + ε) · lr = m / (√v + ε·√bc2) · lr·√bc2/bc1: one full-size Div fewer than torch's order of operations
    const denom = add(b.op('Sqrt', [v], { name: 'opt_v_sqrt' }), s.epsHat!, 'opt_denom');
    const delta = mul(b.op('Div', [m, denom], { name: 'opt_ratio' }), s.stepSize!, 'opt_delta');
    const next = sub(s.decay ? mul(p, s.decay, 'opt_decayed') : p, delta, 'opt_param');
    return { param: next, state: [m, v] };
  }
  if (s.sgdRate) return { param: sub(p, mul(grad, s.sgdRate, 'opt_delta'), 'opt_param'), state: [] };
  const scaled = s.gradScale ? mul(grad, s.gradScale, 'opt_grad_scaled') : grad;
  const g = config.weightDecay ? add(scaled, mul(p, constant(config.weightDecay), 'opt_l2'), 'opt_grad_wd') : scaled;
  if (config.kind === 'sgd') return { param: sub(p, mul(g, lr, 'opt_delta'), 'opt_param'), state: [] };
  const mu = constant(config.momentum);
  const buf = add(mul(u.state[0]!, mu), g, 'opt_momentum_buffer');
  const direction = config.nesterov ? add(g, mul(buf, mu), 'opt_nesterov') : buf;
  return { param: sub(p, mul(direction, lr, 'opt_delta'), 'opt_param'), state: [buf] };
}

/**
 * torch.nn.utils.clip_grad_norm_(max_norm) over all gradients together, g *= min(1, max_norm / (‖g‖₂ + 1e-6)),
 * as its coefficient min(1, max_norm / (‖s·g‖₂ + 1e-6)) and the norm ‖s·g‖₂, for
 * gradients that still have to be multiplied by the scalar `scale` s (> 0; 1 when absent): the
 * gradients themselves are left to the optimizer to scale (see StepScalars.gradScale).
 */
export function clipCoefficient(b: Builder, grads: readonly Value[], maxNorm: number, scale?: Value): { coef: Value; norm: Value } {
  if (!(maxNorm > 0)) throw new TreluError('E_USAGE', `--clip-grad-norm must be > 0, not ${maxNorm}`);
  const squares = grads.map((g) => b.op('ReduceSumSquare', [g], { name: 'clip_sq', attributes: { keepdims: 0 } }));
  const total = squares.length === 1 ? squares[0]! : b.op('Sum', squares, { name: 'clip_total' });
  const norm = scale ? b.op('Mul', [b.op('Sqrt', [total], { name: 'clip_norm' }), scale], { name: 'grad_norm' }) : b.op('Sqrt', [total], { name: 'grad_norm' });
  const coef = b.op('Min', [b.op('Div', [f32(b, maxNorm), b.op('Add', [norm, f32(b, 1e-6)], { name: 'clip_den' })], { name: 'clip_coef' }), f32(b, 1)], { name: 'clip_coef' });
  return { coef, norm };
}
