/**
 * What `trelu doctor` reports: versions, which EPs onnxruntime-node bundles,
 * which ones actually start here (and why not), the WebGPU adapter, and
 * whether the CUDA libraries are present.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createBackends } from './backends/index.js';
import { loadOrtNode, ortNodeBinDir, SWIFTSHADER_ICD, swiftShaderWasChosen } from './backends/ort-node.js';

export interface DoctorReport {
  versions: Record<string, string>;
  /** onnxruntime-node's own list. */
  bundled: { name: string; bundled: boolean }[];
  eps: { name: string; runtime: string; usable: boolean; reason?: string; hint?: string }[];
  webgpuAdapter: string;
  cuda: { providerLibrary: boolean; libraries: Record<string, boolean>; hint?: string };
}

/** A dependency's version; found by walking up from its entry point (some packages' exports hide package.json). */
function packageVersion(name: string): string {
  try {
    let dir = path.dirname(createRequire(import.meta.url).resolve(name));
    for (;;) {
      const p = path.join(dir, 'package.json');
      if (fs.existsSync(p)) {
        const pkg = JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string; version: string };
        if (pkg.name === name) return pkg.version;
      }
      const up = path.dirname(dir);
      if (up === dir) return 'unknown';
      dir = up;
    }
  } catch {
    return 'not installed';
  }
}

function sharedLibraries(): string {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

export async function doctor(): Promise<DoctorReport> {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const versions: Record<string, string> = {
    node: process.versions.node,
    'onnx-trelu': (JSON.parse(fs.readFileSync(path.resolve(here, '../../../package.json'), 'utf8')) as { version: string }).version,
    'onnxruntime-node': packageVersion('onnxruntime-node'),
    'onnxruntime-web': packageVersion('onnxruntime-web'),
    platform: `${process.platform}/${process.arch}`,
  };
  let bundled: DoctorReport['bundled'] = [];
  try {
    const ort = await loadOrtNode();
    bundled = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] }).listSupportedBackends?.() ?? [];
  } catch {
    // reported through the cpu EP below
  }
  const backends = createBackends();
  const eps: DoctorReport['eps'] = [];
  for (const name of backends.names) {
    const b = backends.get(name);
    try {
      await b.init();
      eps.push({ name, runtime: b.runtime, usable: true });
    } catch (e) {
      eps.push({ name, runtime: b.runtime, usable: false, reason: e instanceof Error ? e.message : String(e), hint: (e as { hint?: string }).hint });
    }
  }
  const icd = process.env.VK_ICD_FILENAMES;
  const webgpuUsable = eps.find((e) => e.name === 'webgpu')?.usable;
  const webgpuAdapter = !webgpuUsable
    ? 'none'
    : icd && /swiftshader/i.test(icd)
      ? `SwiftShader (Vulkan on the CPU${swiftShaderWasChosen() ? ', chosen automatically: this machine has no GPU device' : ', from VK_ICD_FILENAMES'})`
      : `a Vulkan device from ${icd ? `VK_ICD_FILENAMES=${icd}` : 'the system ICDs'} (ORT does not report the adapter's name)`;
  const libs = sharedLibraries();
  const libraries = Object.fromEntries(['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcudnn.so.9'].map((l) => [l, libs.includes(l)]));
  const providerLibrary = fs.existsSync(path.join(ortNodeBinDir() ?? '', 'libonnxruntime_providers_cuda.so'));
  const cudaHint = providerLibrary && Object.values(libraries).every(Boolean)
    ? undefined
    : [!providerLibrary ? 'ORT\'s CUDA EP binaries: npm run setup:cuda (downloads them; needs network access to their host)' : '', Object.values(libraries).every(Boolean) ? '' : 'CUDA 12 runtime, cuBLAS, cuFFT and cuDNN 9 from NVIDIA']
      .filter(Boolean).join('; ');
  return {
    versions, bundled, eps, webgpuAdapter,
    cuda: { providerLibrary, libraries, hint: cudaHint },
  };
}

export { SWIFTSHADER_ICD };
