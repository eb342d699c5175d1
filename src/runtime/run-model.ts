/**
 * Running a model on one EP with timing and node placement: what `trelu run`
 * and `trelu check-eps` are made of.
 */
import type { Backend, NodePlacement } from './backend.js';
import type { TensorLike } from './tensor.js';

export interface Timing {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface PlacementSummary {
  /** Provider → number of nodes that ran there. */
  providers: Record<string, number>;
  /** ThresholdedRelu nodes that ran on ORT's CPU EP although another EP was asked for. */
  thresholdedReluOnCpu: string[];
  /** Every node that ran on the CPU EP although another EP was asked for. */
  cpuFallback: NodePlacement[];
}

export interface EpRunResult {
  ep: string;
  outputs: Record<string, TensorLike>;
  timing: Timing;
  /** Undefined where the backend cannot tell (wasm: everything is its CPU EP). */
  placement?: PlacementSummary;
}

export interface RunModelOptions {
  repeat?: number;
  strictEp?: boolean;
  /** Called before each timed run, for progress on long work. */
  onProgress?(done: number, total: number): void;
}

function summarizePlacement(ep: string, nodes: NodePlacement[]): PlacementSummary {
  const providers: Record<string, number> = {};
  for (const n of nodes) providers[n.provider] = (providers[n.provider] ?? 0) + 1;
  const cpuFallback = ep === 'cpu' ? [] : nodes.filter((n) => n.provider === 'CPUExecutionProvider');
  return { providers, cpuFallback, thresholdedReluOnCpu: cpuFallback.filter((n) => n.opType === 'ThresholdedRelu').map((n) => n.node) };
}

function timing(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  return { runs: s.length, medianMs: s[Math.floor(s.length / 2)] ?? 0, minMs: s[0] ?? 0, maxMs: s[s.length - 1] ?? 0 };
}

/** One warm-up run (whose outputs are returned and whose placement is recorded), then `repeat` timed runs. */
export async function runModel(backend: Backend, model: Uint8Array | string, feeds: Record<string, TensorLike>, options: RunModelOptions = {}): Promise<EpRunResult> {
  const session = await backend.createSession(model, { strictEp: options.strictEp, recordPlacement: backend.name !== 'wasm' });
  try {
    const outputs = await session.run(feeds);
    const nodes = await session.placement();
    const repeat = options.repeat ?? 0;
    const samples: number[] = [];
    for (let i = 0; i < repeat; i++) {
      options.onProgress?.(i, repeat);
      const t0 = performance.now();
      await session.run(feeds);
      samples.push(performance.now() - t0);
    }
    return { ep: backend.name, outputs, timing: timing(samples), placement: nodes ? summarizePlacement(backend.name, nodes) : undefined };
  } finally {
    await session.release();
  }
}
