#!/usr/bin/env bash
# Run on a machine with an NVIDIA GPU (and network access for the CUDA EP binaries):
# the EP conformance suite and the kernel benchmark on cuda and webgpu.
#   bash bench/gpu.sh            (after npm run setup)
set -uo pipefail
cd "$(dirname "$0")/.."
npm run setup:cuda || echo "gpu.sh: CUDA EP binaries not installed; cuda will be reported as unusable"
node bin/trelu.js doctor
for model in /usr/share/libonnx-testdata/data/node/test_thresholdedrelu*/model.onnx out/mlp-trelu.onnx; do
  [ -f "$model" ] && node bin/trelu.js check-eps "$model" --ep cpu,cuda,webgpu --dim N=64
done
node bin/trelu.js run out/mlp-trelu.onnx --ep cpu,cuda,webgpu --strict-ep --dim N=4096 --repeat 50
npm run bench:kernels
