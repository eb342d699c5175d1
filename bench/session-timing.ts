/**
 * Timing ORT sessions against each other in one run (bench:grad, bench:conv-grad): see timeCases.
 * BENCH_ROUNDS, BENCH_BLOCK, BENCH_BLOCK_MS, BENCH_PROFILE_RUNS.
 */
import { buildFeeds, createBackends, type TensorLike } from '../src/runtime/index.js';
import { encodeModel } from '../src/onnx/encode.js';
import { modelToProto, type Model } from '../src/graph/index.js';
import { initializersToInputs, parameterFeeds } from '../src/train/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const BLOCK = Number(process.env.BENCH_BLOCK ?? 12);
const BLOCK_MS = Number(process.env.BENCH_BLOCK_MS ?? 60);
const PROFILE_RUNS = Number(process.env.BENCH_PROFILE_RUNS ?? 20);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q)]!;
const cpu = createBackends().get('cpu');


export interface Case { label: string; bytes: Uint8Array; feeds: Record<string, TensorLike>; level?: 'disabled' | 'basic' | 'extended' | 'all' }

/** Each case's figure (see bench/grad.ts's file comment): sessions take turns in rounds of blocks; the best round's lower quartile. */
export async function timeCases(cases: Case[]): Promise<number[]> {
  return (await timeCaseRounds(cases)).map((xs) => Math.min(...xs));
}

/** Each case's figure per round (the lower quartile of its block in that round), for spreads. */
export async function timeCaseRounds(cases: Case[]): Promise<number[][]> {
  const sessions = await Promise.all(cases.map((c) => cpu.createSession(c.bytes, c.level ? { graphOptimizationLevel: c.level } : {})));
  // blockFigures[session][round]: the lower-quartile run time of that session's block in that round.
  const blockFigures = cases.map(() => [] as number[]);
  for (let r = -1; r < ROUNDS; r++) {
    for (const [i, s] of sessions.entries()) {
      // At least BLOCK runs and BLOCK_MS; the first quarter is dropped: the other sessions'
      // pool threads may still be spinning from their turn.
      const block: number[] = [];
      const start = performance.now();
      while (block.length < BLOCK || performance.now() - start < BLOCK_MS) {
        const t0 = performance.now();
        await s.run(cases[i]!.feeds);
        block.push(performance.now() - t0);
      }
      if (r >= 0) blockFigures[i]!.push(quantile(block.slice(Math.floor(block.length / 4)), 0.25)); // round -1 warms up
    }
  }
  await Promise.all(sessions.map((s) => s.release()));
  // The caller takes each session's best round, then their ratio. This machine goes through phases
  // (seen: the CNN's forward pass at 1.3 ms for eight rounds, then 3-5 ms for seven, while the
  // gradient went from 14 to 17 ms), and the phases hit the models unequally, so per-round ratios
  // wander from 3.5x to 10x; the quiet rounds are the models' own costs.
  return blockFigures;
}

/** ORT's per-node kernel times (median of PROFILE_RUNS), from separate profiling sessions so profiling does not slow the timed runs. */
export async function profileCases(cases: Case[], top: (i: number) => number): Promise<string[]> {
  const profile: string[] = [];
  if (PROFILE_RUNS <= 0) return profile;
  for (const [i, c] of cases.entries()) {
    const s = await cpu.createSession(c.bytes, { recordPlacement: true });
    for (let k = 0; k < PROFILE_RUNS; k++) await s.run(c.feeds);
    const nodes = (await s.placement()) ?? [];
    await s.release();
    const total = nodes.reduce((t, n) => t + (n.kernelTimeUs ?? 0), 0);
    const byOp = new Map<string, number>();
    for (const n of nodes) byOp.set(n.opType, (byOp.get(n.opType) ?? 0) + (n.kernelTimeUs ?? 0));
    const ops = [...byOp].sort((a, b) => b[1] - a[1]).slice(0, top(i));
    profile.push(`    ${c.label.padEnd(17)} kernels ${(total / 1000).toFixed(3)} ms, by op: ${ops.map(([op, us]) => `${op} ${(us / 1000).toFixed(3)}`).join(', ')}`);
  }
  return profile;
}


/**
 * The baseline a gradient model is timed against: the forward model with the same parameters as
 * graph inputs, fed their stored values each run (as the gradient model must), the other
 * initializers kept (ORT folds and prepacks those in both).
 */
export function fedCase(fed: Model, parameters: Iterable<string>, dims?: Record<string, number>): Case {
  const names = new Set(parameters);
  const fedFeeds = parameterFeeds({ parameters: initializersToInputs(fed, fed.graph.initializers.filter((v) => names.has(v.name))) });
  return { label: 'forward, fed', bytes: encodeModel(modelToProto(fed)), feeds: { ...buildFeeds(fed, { ...(dims ? { dims } : {}), seed: 1 }), ...fedFeeds } };
}
