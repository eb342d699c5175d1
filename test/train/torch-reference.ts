/**
 * Comparing a gradient model's outputs with torch's autograd (test/corpus/torch-corpus.ts).
 *
 * Relative error of a tensor: max_i |g_i - t_i| / max_i |t_i| (the largest absolute error over the
 * largest reference magnitude: elementwise ratios blow up on elements that are ~0 by chance).
 * A NaN or infinity in g, a shape or size mismatch, or an all-zero reference with a nonzero g
 * makes it Infinity, so a check `err < tol` fails on them.
 */
import type { TensorLike } from '../../src/runtime/tensor.js';
import type { GradientReport } from '../../src/train/autodiff.js';
import type { TorchModel } from '../corpus/torch-corpus.js';

export function relError(got: TensorLike | undefined, want: TensorLike): number {
  if (!got || got.data.length !== want.data.length) return Infinity;
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < want.data.length; i++) {
    const g = Number(got.data[i]);
    const t = Number(want.data[i]);
    if (!Number.isFinite(g) || !Number.isFinite(t)) return Infinity;
    maxRef = Math.max(maxRef, Math.abs(t));
    maxErr = Math.max(maxErr, Math.abs(g - t));
  }
  if (maxRef === 0) return maxErr === 0 ? 0 : Infinity;
  return maxErr / maxRef;
}

/** The initializers of `file` that hold torch parameters (not BN buffers, not exporter constants). */
export function parameterInitializers(m: TorchModel, file: 'model.onnx' | 'loss.onnx'): string[] {
  return m.manifest.onnx[file].filter((e) => e.torch.length > 0).map((e) => e.onnx);
}

/** torch's gradient for an initializer: the sum over the state_dict keys it holds (merged initializers). */
export function expectedGradient(m: TorchModel, file: 'model.onnx' | 'loss.onnx', initializer: string): TensorLike {
  const entry = m.manifest.onnx[file].find((e) => e.onnx === initializer);
  if (!entry?.torch.length) throw new Error(`${m.name}/${file}: '${initializer}' holds no torch parameter`);
  const parts = entry.torch.map((k) => m.torchGrad(k));
  const sum = new Float64Array(parts[0]!.data.length);
  for (const p of parts) for (let i = 0; i < sum.length; i++) sum[i] += Number(p.data[i]);
  return { type: 'float64', data: sum, dims: parts[0]!.dims };
}

/** Each differentiated initializer's relative error against torch, largest first. */
export function compareWithTorch(m: TorchModel, file: 'model.onnx' | 'loss.onnx', report: GradientReport, out: Record<string, TensorLike>): { tensor: string; err: number }[] {
  return report.gradients
    .map((g) => ({ tensor: g.tensor, err: relError(out[g.gradient], expectedGradient(m, file, g.tensor)) }))
    .sort((a, b) => b.err - a.err);
}
