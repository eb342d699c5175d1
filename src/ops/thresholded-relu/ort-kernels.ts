/**
 * Which ONNX Runtime execution providers have a ThresholdedRelu kernel, for
 * which op versions and element types. Read off ORT's kernel registrations
 * (paths relative to the onnxruntime repository, as of ORT 1.20–1.30); keep
 * this one table in step with them when ORT changes.
 *
 * A node whose (version, type) an EP lacks is assigned to another EP by ORT:
 * usually the CPU EP, if it has a kernel; if no EP has one, session creation
 * fails ("Could not find an implementation for ThresholdedRelu").
 */
import { DataType } from '../../onnx/proto.js';

export type OrtEp = 'cpu' | 'wasm' | 'webgpu' | 'jsep-webgpu' | 'cuda' | 'rocm';

export interface OrtKernelEntry {
  ep: OrtEp;
  /** Inclusive opset range the kernel covers; `to` undefined = open ended. */
  from: number;
  to?: number;
  types: readonly number[];
  /** Where ORT registers it. */
  source: string;
}

const F16 = DataType.FLOAT16;
const F32 = DataType.FLOAT;
const F64 = DataType.DOUBLE;

export const ORT_THRESHOLDED_RELU_KERNELS: readonly OrtKernelEntry[] = [
  // onnxruntime/contrib_ops/cpu/activations.cc: ONNX_CPU_OPERATOR_VERSIONED_KERNEL(ThresholdedRelu, 1, 9, ... float)
  { ep: 'cpu', from: 1, to: 9, types: [F32], source: 'onnxruntime/contrib_ops/cpu/activations.cc' },
  // onnxruntime/core/providers/cpu/activation/activations.cc: REGISTER_UNARY_ELEMENTWISE_KERNEL(ThresholdedRelu, 10), float only
  // (newer ORT: REGISTER_VERSIONED_UNARY_ELEMENTWISE_KERNEL(ThresholdedRelu, 10, 21) + (ThresholdedRelu, 22), still float only)
  { ep: 'cpu', from: 10, types: [F32], source: 'onnxruntime/core/providers/cpu/activation/activations.cc' },
  // onnxruntime-web's wasm backend is the CPU EP compiled to WebAssembly.
  { ep: 'wasm', from: 1, to: 9, types: [F32], source: 'onnxruntime/contrib_ops/cpu/activations.cc (wasm build)' },
  { ep: 'wasm', from: 10, types: [F32], source: 'onnxruntime/core/providers/cpu/activation/activations.cc (wasm build)' },
  // onnxruntime/core/providers/webgpu/math/unary_elementwise_ops.cc: WEBGPU_ELEMENTWISE_KERNEL(ThresholdedRelu, 10, WebGpuSupportedFloatTypes())
  { ep: 'webgpu', from: 10, types: [F32, F16], source: 'onnxruntime/core/providers/webgpu/math/unary_elementwise_ops.cc' },
  // onnxruntime/core/providers/js/operators/unary.cc: JSEP_KERNEL_IMPL(ThresholdedRelu, 10, JsepSupportedFloatTypes()) (onnxruntime-web 'webgpu' in browsers)
  { ep: 'jsep-webgpu', from: 10, types: [F32, F16], source: 'onnxruntime/core/providers/js/operators/unary.cc' },
  // onnxruntime/core/providers/cuda/activation/activations.cc: UNARY_ACTIVATION_OP_HFD(ThresholdedRelu, 10, kOnnxDomain)
  { ep: 'cuda', from: 10, types: [F16, F32, F64], source: 'onnxruntime/core/providers/cuda/activation/activations.cc' },
  // onnxruntime/contrib_ops/cuda/activation/activations.cc: UNARY_ACTIVATION_OP_HFD(ThresholdedRelu, 1, kOnnxDomain) (versions 1-9)
  { ep: 'cuda', from: 1, to: 9, types: [F16, F32, F64], source: 'onnxruntime/contrib_ops/cuda/activation/activations.cc' },
  // onnxruntime/core/providers/rocm/activation/activations.cc (hip): UNARY_ACTIVATION_OP_HFD(ThresholdedRelu, 10)
  { ep: 'rocm', from: 10, types: [F16, F32, F64], source: 'onnxruntime/core/providers/rocm/activation/activations.cc' },
  // Not read, so not claimed: dml, tensorrt, openvino, and others. The validator says so for them.
];

/** ORT's CPU Gemm + activation fusion (onnxruntime/core/optimizer/gemm_activation_fusion.cc) matches ThresholdedRelu only at these versions. */
export const ORT_GEMM_FUSION_VERSIONS: readonly number[] = [1, 10];

/** The kernel entry ORT would pick on `ep` for a node at resolved version `version` with input type `type`, if any. */
export function ortKernelFor(ep: string, version: number, type: number): OrtKernelEntry | undefined {
  return ORT_THRESHOLDED_RELU_KERNELS.find((k) => k.ep === ep && version >= k.from && (k.to === undefined || version <= k.to) && k.types.includes(type));
}

/** Every EP name this table knows. */
export const KNOWN_EPS: readonly string[] = [...new Set(ORT_THRESHOLDED_RELU_KERNELS.map((k) => k.ep))];
