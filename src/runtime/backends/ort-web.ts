/**
 * onnxruntime-web backends: 'wasm' (ORT's CPU EP compiled to WebAssembly; in
 * Node too) and 'webgpu' (browsers with `navigator.gpu`). Browser-safe: no
 * Node built-ins, so `onnx-trelu/web` bundles it.
 *
 * onnxruntime-web is imported on first use, by its bare name: a bundler or an
 * import map decides which build that is (the default build has both EPs).
 * Pass `load` to use a module of your own, e.g. `() => import('onnxruntime-web/webgpu')`.
 */
import { TreluError } from '../../errors.js';
import type { Backend, BackendSession, CreateSessionOptions, NodePlacement } from '../backend.js';
import type { TensorLike } from '../tensor.js';
import { firstLine } from './messages.js';
import { PROBE_MODEL } from './probe-model.js';
import { OrtSessionBase, releaseCopy, type OrtTensorModule } from './ort-session.js';

export type OrtWeb = typeof import('onnxruntime-web');
export type OrtWebEp = 'wasm' | 'webgpu';

let defaultPromise: Promise<OrtWeb> | undefined;

export function loadOrtWeb(): Promise<OrtWeb> {
  defaultPromise ??= import('onnxruntime-web').then(
    (m) => ((m as unknown as { default?: OrtWeb }).default ?? m) as OrtWeb,
    (e: unknown) => {
      throw new TreluError('E_UNSUPPORTED', `onnxruntime-web cannot be loaded: ${firstLine(e)}`, { hint: 'run npm install (in a page: map "onnxruntime-web" in an import map or let your bundler resolve it)' });
    },
  );
  return defaultPromise;
}

/**
 * onnxruntime-web initializes its WebAssembly runtime on the first session of
 * each EP name, and two first sessions at once ('wasm' and 'webgpu' share the
 * runtime) fail with "multiple calls to 'initWasm()' detected". Session
 * creation is therefore serialized per onnxruntime-web module.
 */
const creating = new WeakMap<object, Promise<unknown>>();
function serialized<T>(ort: OrtWeb, create: () => Promise<T>): Promise<T> {
  const previous = creating.get(ort) ?? Promise.resolve();
  const next = previous.then(create, create);
  creating.set(ort, next.catch(() => undefined));
  return next;
}

export interface OrtWebBackendOptions {
  /** Where the onnxruntime-web module comes from; default `import('onnxruntime-web')`. Called once. */
  load?: () => Promise<OrtWeb>;
}

/** Tensors that live on the GPU have `location: 'gpu-buffer'`; their data is read with getData(). */
function onDevice(t: TensorLike): boolean {
  return (t as { location?: string }).location === 'gpu-buffer';
}

class OrtWebSession extends OrtSessionBase<import('onnxruntime-web').InferenceSession> implements BackendSession {
  constructor(ort: OrtWeb, session: import('onnxruntime-web').InferenceSession, private readonly ep: OrtWebEp) {
    super(ort as unknown as OrtTensorModule, session);
  }

  async run(feeds: Record<string, TensorLike>, fetches?: Record<string, TensorLike>): Promise<Record<string, TensorLike>> {
    const f = this.toOrt(feeds);
    try {
      // onnxruntime-web 1.30's wasm backend accepts pre-allocated CPU outputs but leaves them
      // unwritten (it returns the given buffer, still zero): run plainly and copy instead.
      // GPU tensors given as fetches (webgpu) are passed through: ORT writes into them.
      const gpuFetches = fetches && Object.values(fetches).some(onDevice);
      const out = (gpuFetches ? await this.session.run(f, this.toOrt(fetches)) : await this.session.run(f)) as unknown as Record<string, TensorLike>;
      if (!fetches || gpuFetches) return out;
      for (const [name, target] of Object.entries(fetches)) {
        const produced = out[name];
        if (!produced) continue;
        const src = onDevice(produced) ? await (produced as unknown as { getData(): Promise<ArrayLike<number>> }).getData() : (produced.data as ArrayLike<number>);
        if (src.length === (target.data as ArrayLike<number>).length) {
          (target.data as Float32Array).set(src as Float32Array);
          releaseCopy(src, target.data);
        }
      }
      return { ...out, ...fetches };
    } catch (e) {
      throw new TreluError('E_GRAPH', `ONNX Runtime (${this.ep}) failed to run the model: ${firstLine(e)}`);
    }
  }

  /** onnxruntime-web reports no node placement (its profiler prints to the console). */
  async placement(): Promise<NodePlacement[] | undefined> {
    return undefined;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function webgpuHint(): string {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (!nav) return 'onnxruntime-web runs WebGPU in browsers; in Node use the webgpu backend of onnxruntime-node';
  if (!nav.gpu) return 'this browser has no navigator.gpu: use a recent Chromium (headless: --enable-unsafe-webgpu, SwiftShader flags in TESTING.md) over https or 127.0.0.1';
  return 'navigator.gpu.requestAdapter() found no adapter: check chrome://gpu, or start Chromium with --enable-unsafe-webgpu --use-webgpu-adapter=swiftshader';
}

export class OrtWebBackend implements Backend {
  readonly runtime = 'onnxruntime-web' as const;
  private initPromise?: Promise<OrtWeb>;
  private readonly load: () => Promise<OrtWeb>;

  constructor(readonly name: OrtWebEp, options: OrtWebBackendOptions = {}) {
    this.load = options.load ?? loadOrtWeb;
  }

  /** Loads onnxruntime-web; for webgpu also finds an adapter and runs a probe session with CPU fallback off. */
  init(): Promise<void> {
    this.initPromise ??= this.probe();
    return this.initPromise.then(() => undefined);
  }

  private async probe(): Promise<OrtWeb> {
    const ort = await this.load();
    if (this.name === 'wasm') return ort;
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
    const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
    if (!adapter) throw new TreluError('E_UNSUPPORTED', 'onnxruntime-web cannot use WebGPU here: no WebGPU adapter', { hint: webgpuHint() });
    try {
      const s = await serialized(ort, () => ort.InferenceSession.create(PROBE_MODEL, { executionProviders: ['webgpu'], logSeverityLevel: 4, extra: { session: { disable_cpu_ep_fallback: '1' } } }));
      await s.release();
    } catch (e) {
      throw new TreluError('E_UNSUPPORTED', `the webgpu EP of onnxruntime-web cannot start here: ${firstLine(e)}`, { hint: webgpuHint() });
    }
    return ort;
  }

  async createSession(model: Uint8Array | string, options: CreateSessionOptions = {}): Promise<BackendSession> {
    await this.init();
    const ort = await this.initPromise!;
    const strict = options.strictEp && this.name === 'webgpu';
    try {
      const session = await serialized(ort, () => ort.InferenceSession.create(model as Uint8Array, {
        executionProviders: [this.name],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        logSeverityLevel: 3,
        ...(options.preferredOutputLocation && this.name === 'webgpu' ? { preferredOutputLocation: options.preferredOutputLocation } : {}),
        ...(strict ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}),
      }));
      return new OrtWebSession(ort, session, this.name);
    } catch (e) {
      const msg = firstLine(e);
      throw new TreluError('E_UNSUPPORTED', `ONNX Runtime (${this.name}) cannot create a session: ${msg}`, {
        hint: strict ? `some node may have no ${this.name} kernel; try without strictEp to let it fall back to the CPU` : undefined,
      });
    }
  }
}

/** onnxruntime-web's wasm backend, as `createBackends()` uses it in Node. */
export class OrtWebWasmBackend extends OrtWebBackend {
  declare readonly name: 'wasm';
  constructor(options: OrtWebBackendOptions = {}) {
    super('wasm', options);
  }
}
