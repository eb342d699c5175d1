/**
 * onnxruntime-node backends: 'cpu', 'webgpu' (Dawn, bundled on Linux x64),
 * 'cuda' and 'tensorrt' (only where ORT's CUDA EP binaries and CUDA 12 are
 * installed: `npm run setup:cuda`). onnxruntime-node is imported on first use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { TreluError } from '../../errors.js';
import type { Backend, BackendSession, CreateSessionOptions, EpName, NodePlacement } from '../backend.js';
import type { TensorLike } from '../tensor.js';
import { firstLine } from './messages.js';
import { PROBE_MODEL } from './probe-model.js';
import { OrtSessionBase, releaseCopy, type OrtTensorModule } from './ort-session.js';

type Ort = typeof import('onnxruntime-node');
let ortPromise: Promise<Ort> | undefined;

export function loadOrtNode(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: Ort }).default ?? m) as Ort,
    (e: unknown) => {
      throw new TreluError('E_UNSUPPORTED', `onnxruntime-node cannot be loaded: ${firstLine(e)}`, { hint: 'run npm install' });
    },
  );
  return ortPromise;
}

// Kept here too for the modules that import it from this file.
export { firstLine };

/** Where onnxruntime-node keeps its native libraries (the CUDA EP's go there too). */
export function ortNodeBinDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return path.join(path.dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

const ORT_EP_NAMES: Record<string, string> = { cpu: 'cpu', webgpu: 'webgpu', cuda: 'cuda', tensorrt: 'tensorrt' };

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * On a machine with no GPU device at all (no /dev/dri, no /dev/nvidia*) and
 * no VK_ICD_FILENAMES of the user's, point Vulkan at Chromium's SwiftShader
 * (if installed), so that the WebGPU EP runs on the CPU instead of finding no
 * adapter. Must happen before Dawn starts. Returns whether it did; `trelu
 * doctor` reports it. A machine with a GPU device is never redirected.
 */
export function useSwiftShaderWithoutGpu(): boolean {
  if (process.env.VK_ICD_FILENAMES || !fs.existsSync(SWIFTSHADER_ICD)) return false;
  const hasGpuDevice = fs.existsSync('/dev/dri') || (fs.existsSync('/dev') && fs.readdirSync('/dev').some((d) => d.startsWith('nvidia')));
  if (hasGpuDevice) return false;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  swiftShaderChosen = true;
  return true;
}

let swiftShaderChosen = false;
/** Whether useSwiftShaderWithoutGpu redirected Vulkan in this process. */
export function swiftShaderWasChosen(): boolean {
  return swiftShaderChosen;
}

function hintFor(ep: EpName, message: string): string {
  if (ep === 'webgpu') {
    if (/adapter/i.test(message)) {
      return fs.existsSync(SWIFTSHADER_ICD) && !process.env.VK_ICD_FILENAMES
        ? `no Vulkan GPU was found; to use Chromium's SwiftShader on the CPU: export VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`
        : 'no WebGPU adapter: needs a Vulkan driver (apt-get install chromium libvulkan1 gives SwiftShader, then set VK_ICD_FILENAMES)';
    }
    return 'onnxruntime-node bundles WebGPU on Linux x64, Windows and macOS only';
  }
  if (ep === 'cuda' || ep === 'tensorrt') return 'needs ORT\'s CUDA EP binaries (npm run setup:cuda), CUDA 12 and cuDNN 9 on a machine with an NVIDIA GPU';
  return 'run trelu doctor';
}

/**
 * onnxruntime-node 1.30 writes a pre-allocated CPU output in place, and then
 * returns a copy of it anyway, in a fresh ArrayBuffer (js/node/src/
 * tensor_helper.cc, OrtValueToNapiValue: ArrayBuffer::New + memcpy). That copy
 * is garbage as soon as it exists, but V8 frees it only at its next GC; by then
 * tens of MiB of such copies have piled up on malloc's heap, glibc trims the
 * freed top of the heap back to the kernel (brk), and the next calls
 * page-fault it in again. Measured over 64 MiB in 1 MiB calls, 50 passes a
 * process: 13-41 ms a pass and 0.7k-6k page faults, varying from process to
 * process, against 8-10 ms and no faults with each copy freed at once (memcpy:
 * 4-5.6 ms). So the caller's own tensors are returned for its fetches, and
 * where the runtime can detach an ArrayBuffer (ArrayBuffer.prototype.transfer:
 * Node 22 and later, Node 20 with --harmony-rab-gsab-transfer) the copy's
 * memory goes back to malloc at once and the next call's copy reuses it.
 */
export function keepPreallocated(out: Record<string, TensorLike>, fetches: Record<string, TensorLike>): Record<string, TensorLike> {
  const result: Record<string, TensorLike> = { ...out };
  for (const [name, mine] of Object.entries(fetches)) {
    const copy = out[name];
    // an output on a device (gpu-buffer): its data getter throws; it is not the binding's CPU copy
    if (!copy || ((copy as { location?: string }).location ?? 'cpu') !== 'cpu' || !ArrayBuffer.isView(mine.data)) continue;
    result[name] = mine;
    releaseCopy(copy.data, mine.data); // only the binding's own fresh copy: never the caller's buffer
  }
  return result;
}

class OrtNodeSession extends OrtSessionBase<import('onnxruntime-node').InferenceSession> implements BackendSession {
  constructor(ort: Ort, session: import('onnxruntime-node').InferenceSession, private readonly profilePrefix: string | undefined) {
    super(ort as unknown as OrtTensorModule, session);
  }

  async run(feeds: Record<string, TensorLike>, fetches?: Record<string, TensorLike>): Promise<Record<string, TensorLike>> {
    const f = this.toOrt(feeds);
    let out: Record<string, TensorLike>;
    try {
      out = (fetches ? await this.session.run(f, this.toOrt(fetches)) : await this.session.run(f)) as unknown as Record<string, TensorLike>;
    } catch (e) {
      throw new TreluError('E_GRAPH', `ONNX Runtime failed to run the model: ${firstLine(e)}`);
    }
    return fetches ? keepPreallocated(out, fetches) : out;
  }

  async placement(): Promise<NodePlacement[] | undefined> {
    if (!this.profilePrefix) return undefined;
    (this.session as unknown as { endProfiling?: () => void }).endProfiling?.();
    const dir = path.dirname(this.profilePrefix);
    const base = path.basename(this.profilePrefix);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'));
    const byNode = new Map<string, NodePlacement & { times: number[] }>();
    for (const f of files) {
      const events = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { cat?: string; name?: string; dur?: number; args?: { op_name?: string; provider?: string } }[];
      for (const e of events) {
        if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.provider) continue;
        const node = e.name.slice(0, -'_kernel_time'.length);
        let entry = byNode.get(node);
        if (!entry) byNode.set(node, (entry = { node, opType: e.args.op_name ?? '', provider: e.args.provider, times: [] }));
        if (typeof e.dur === 'number') entry.times.push(e.dur);
      }
      fs.rmSync(path.join(dir, f), { force: true });
    }
    return [...byNode.values()].map(({ times, ...p }) => (times.length ? { ...p, kernelTimeUs: [...times].sort((a, b) => a - b)[times.length >> 1]! } : p));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export class OrtNodeBackend implements Backend {
  readonly runtime = 'onnxruntime-node' as const;
  private initPromise?: Promise<void>;

  constructor(readonly name: EpName) {}

  init(): Promise<void> {
    this.initPromise ??= this.probe();
    return this.initPromise;
  }

  private async probe(): Promise<void> {
    if (this.name === 'webgpu') {
      useSwiftShaderWithoutGpu();
      // Dawn's Vulkan loader prints an error per start when this is unset (headless machines, CI).
      if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'trelu-xdg-'));
    }
    const ort = await loadOrtNode();
    if (this.name === 'cpu') return;
    const listed = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] }).listSupportedBackends?.() ?? [];
    const entry = listed.find((b) => b.name === ORT_EP_NAMES[this.name]);
    if (!entry) {
      throw new TreluError('E_UNSUPPORTED', `onnxruntime-node on ${process.platform}/${process.arch} has no '${this.name}' execution provider`, { hint: hintFor(this.name, '') });
    }
    if ((this.name === 'cuda' || this.name === 'tensorrt') && !entry.bundled) {
      const lib = path.join(ortNodeBinDir() ?? '', 'libonnxruntime_providers_cuda.so');
      if (!fs.existsSync(lib)) {
        throw new TreluError('E_UNSUPPORTED', `the ${this.name} EP is not installed: ${lib} is missing`, { hint: hintFor(this.name, '') });
      }
    }
    // Create a one-node session with CPU fallback off: this is where a missing adapter or library shows.
    try {
      const s = await ort.InferenceSession.create(PROBE_MODEL, { executionProviders: [ORT_EP_NAMES[this.name]!], logSeverityLevel: 4, extra: { session: { disable_cpu_ep_fallback: '1' } } });
      await s.release();
    } catch (e) {
      throw new TreluError('E_UNSUPPORTED', `the ${this.name} EP cannot start here: ${firstLine(e)}`, { hint: hintFor(this.name, firstLine(e)) });
    }
  }

  async createSession(model: Uint8Array | string, options: CreateSessionOptions = {}): Promise<BackendSession> {
    await this.init();
    const ort = await loadOrtNode();
    const profilePrefix = options.recordPlacement ? path.join(os.tmpdir(), `trelu-profile-${process.pid}-${Math.random().toString(36).slice(2)}`) : undefined;
    const strict = options.strictEp && this.name !== 'cpu';
    try {
      // onnxruntime-node validates option types: leave out what is not set rather than pass undefined.
      const session = await ort.InferenceSession.create(model as Uint8Array, {
        executionProviders: [ORT_EP_NAMES[this.name]!],
        logSeverityLevel: 3,
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        ...(profilePrefix ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
        ...(options.preferredOutputLocation ? { preferredOutputLocation: options.preferredOutputLocation } : {}),
        ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
        ...(strict ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}),
      });
      return new OrtNodeSession(ort, session, profilePrefix);
    } catch (e) {
      const msg = firstLine(e);
      throw new TreluError('E_UNSUPPORTED', `ONNX Runtime (${this.name}) cannot create a session: ${msg}`, {
        hint: strict && /fallback|implementation|assigned/i.test(msg) ? `some node has no ${this.name} kernel; run without --strict-ep to let it fall back to the CPU, or see trelu validate --ep ${this.name}` : hintFor(this.name, msg),
      });
    }
  }
}
