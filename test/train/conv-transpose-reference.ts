// A naive float64 ConvTranspose (N, C, spatial 1-D or 2-D; groups, strides, dilations, pads,
// output_padding through the output size): the reference the ConvTranspose gradient is checked against.
export interface ConvTransposeOptions { strides: number[]; pads: number[]; dilations: number[]; group: number; out: number[] }

export function convTranspose(x: Float64Array, xs: number[], w: Float64Array, ws: number[], bias: Float64Array | undefined, o: ConvTransposeOptions): Float64Array {
  const two = xs.length === 4;
  const [n, c] = xs as [number, number];
  const [h, wd] = two ? [xs[2]!, xs[3]!] : [1, xs[2]!];
  const [kh, kw] = two ? [ws[2]!, ws[3]!] : [1, ws[2]!];
  const mg = ws[1]!;
  const m = mg * o.group;
  const cg = c / o.group;
  const [oh, ow] = two ? [o.out[0]!, o.out[1]!] : [1, o.out[0]!];
  const [sh, sw] = two ? o.strides : [1, o.strides[0]!];
  const [dh, dw] = two ? o.dilations : [1, o.dilations[0]!];
  const [ph, pw] = two ? [o.pads[0]!, o.pads[1]!] : [0, o.pads[0]!];
  const y = new Float64Array(n * m * oh * ow);
  for (let b = 0; b < n; b++) for (let mm = 0; mm < m; mm++) for (let i = 0; i < oh * ow; i++) y[(b * m + mm) * oh * ow + i] = bias ? bias[mm]! : 0;
  for (let b = 0; b < n; b++) for (let ci = 0; ci < c; ci++) for (let i = 0; i < h; i++) for (let j = 0; j < wd; j++) {
    const g = Math.floor(ci / cg);
    const v = x[((b * c + ci) * h + i) * wd + j]!;
    for (let mi = 0; mi < mg; mi++) for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) {
      const yi = i * sh! + a * dh! - ph;
      const yj = j * sw! + e * dw! - pw;
      if (yi < 0 || yi >= oh || yj < 0 || yj >= ow) continue;
      y[((b * m + g * mg + mi) * oh + yi) * ow + yj] += v * w[((ci * mg + mi) * kh + a) * kw + e]!;
    }
  }
  return y;
}
