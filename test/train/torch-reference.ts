/**
 * Comparing a gradient model's outputs with torch's autograd (test/corpus/torch-corpus.ts).
 *
 * Relative error of a tensor: max_i |g_i - t_i| / max(max_i |t_i|, 1e-3 · G), the largest absolute
 * error over the largest reference magnitude (elementwise ratios blow up on elements that are ~0 by
 * chance), floored at a thousandth of G, the largest reference magnitude over all of the model's
 * parameters: a gradient that is zero in exact arithmetic (a Conv bias before a training-mode
 * BatchNorm: torch's float64 gives ~1e-17) is then judged on the model's scale, not on its own
 * rounding noise. A NaN or infinity in g, a shape or size mismatch, or a nonzero g against an
 * all-zero reference with no floor makes it Infinity, so a check `err < tol` fails on them.
 */
import type { TensorLike } from '../../src/runtime/tensor.js';
import type { GradientReport } from '../../src/train/autodiff.js';
import type { TorchModel } from '../corpus/torch-corpus.js';

export function relError(got: TensorLike | undefined, want: TensorLike, floor = 0): number {
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
  const scale = Math.max(maxRef, floor);
  if (scale === 0) return maxErr === 0 ? 0 : Infinity;
  return maxErr / scale;
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
  const expected = report.gradients.map((g) => expectedGradient(m, file, g.tensor));
  let scale = 0;
  for (const t of expected) for (let i = 0; i < t.data.length; i++) scale = Math.max(scale, Math.abs(Number(t.data[i])));
  return report.gradients
    .map((g, i) => ({ tensor: g.tensor, err: relError(out[g.gradient], expected[i]!, 1e-3 * scale) }))
    .sort((a, b) => b.err - a.err);
}
