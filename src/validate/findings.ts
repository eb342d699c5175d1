/**
 * The validator's findings. Codes are stable: scripts may match on them.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable code, e.g. `input-type`. */
  code: FindingCode;
  severity: Severity;
  /** The node's name ('' if unnamed or graph-level). */
  node: string;
  opType: string;
  /** Where it lives: `graph`, `graph/If 'x'.then_branch`, `function custom.F`. */
  location: string;
  message: string;
  /** A suggested fix, when there is one. */
  fix?: string;
  /** For execution-provider findings: the EP. */
  ep?: string;
}

/** Every code with its severity and what it means. */
export const FINDING_CODES = {
  'opset-missing': { severity: 'error', about: 'no ai.onnx opset import, so no version of ThresholdedRelu applies' },
  'input-count': { severity: 'error', about: 'ThresholdedRelu takes exactly one input' },
  'output-count': { severity: 'error', about: 'ThresholdedRelu has exactly one output' },
  'alpha-type': { severity: 'error', about: 'alpha must be a FLOAT attribute' },
  'alpha-duplicate': { severity: 'error', about: 'alpha is given more than once' },
  'alpha-non-finite': { severity: 'error', about: 'alpha is NaN or infinite' },
  'unknown-attribute': { severity: 'error', about: 'an attribute ThresholdedRelu does not have' },
  'input-type': { severity: 'error', about: 'the input element type is not allowed at the resolved version' },
  'output-type-mismatch': { severity: 'error', about: 'the declared output element type differs from the input\'s' },
  'output-shape-mismatch': { severity: 'error', about: 'the declared output shape contradicts the input\'s' },
  'input-undefined': { severity: 'error', about: 'the input is produced by nothing: no node, graph input or initializer' },
  'graph-cycle': { severity: 'error', about: 'the graph is not acyclic' },
  'ep-no-kernel': { severity: 'error', about: 'neither the EP nor ORT\'s CPU EP has a kernel: session creation would fail' },
  'alpha-default': { severity: 'warning', about: 'alpha is absent; 1.0 is used' },
  'alpha-negative': { severity: 'warning', about: 'alpha < 0: values in (alpha, 0] pass through; gradients computed from Y instead of X (Caffe2) get this wrong' },
  'experimental-version': { severity: 'warning', about: 'the node resolves to the experimental pre-10 version' },
  'foreign-domain': { severity: 'warning', about: 'a node called ThresholdedRelu in a non-ONNX domain' },
  'shifted-relu': { severity: 'warning', about: 'Relu(Sub(X, c)) is max(0, x - c), a shifted ReLU, not ThresholdedRelu(alpha = c)' },
  'ep-cpu-fallback': { severity: 'warning', about: 'the EP has no kernel for this node; ORT would run it on the CPU EP' },
  'ep-cast-fallback': { severity: 'warning', about: 'the CPU EP runs float16 through casts to float32, comparing with an alpha that is not rounded to float16' },
  'input-type-unknown': { severity: 'info', about: 'the input element type could not be determined' },
  'ep-unknown': { severity: 'info', about: 'onnx-trelu has no kernel data for this EP' },
  'gemm-fusion-skipped': { severity: 'info', about: 'ORT\'s CPU Gemm+activation fusion only matches ThresholdedRelu versions 1 and 10' },
} as const satisfies Record<string, { severity: Severity; about: string }>;

export type FindingCode = keyof typeof FINDING_CODES;
