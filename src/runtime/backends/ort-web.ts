/**
 * onnxruntime-web's 'wasm' backend, here in Node (the same WebAssembly build
 * browsers run). Its browser 'webgpu' backend comes with the browser work;
 * it plugs in as another Backend.
 */
import { TreluError } from '../../errors.js';
import type { Backend, BackendSession, CreateSessionOptions, NodePlacement } from '../backend.js';
import type { TensorLike } from '../tensor.js';
import { firstLine } from './ort-node.js';
import { OrtSessionBase, type OrtTensorModule } from './ort-session.js';

type OrtWeb = typeof import('onnxruntime-web');
let ortPromise: Promise<OrtWeb> | undefined;

export function loadOrtWeb(): Promise<OrtWeb> {
  ortPromise ??= import('onnxruntime-web').then(
    (m) => ((m as unknown as { default?: OrtWeb }).default ?? m) as OrtWeb,
    (e: unknown) => {
      throw new TreluError('E_UNSUPPORTED', `onnxruntime-web cannot be loaded: ${firstLine(e)}`, { hint: 'run npm install' });
    },
  );
  return ortPromise;
}

class OrtWebSession extends OrtSessionBase<import('onnxruntime-web').InferenceSession> implements BackendSession {
  constructor(ort: OrtWeb, session: import('onnxruntime-web').InferenceSession) {
    super(ort as unknown as OrtTensorModule, session);
  }

  async run(feeds: Record<string, TensorLike>, fetches?: Record<string, TensorLike>): Promise<Record<string, TensorLike>> {
    const f = this.toOrt(feeds);
    try {
      // onnxruntime-web 1.30's wasm backend accepts pre-allocated CPU outputs but leaves them
      // unwritten (it returns the given buffer, still zero): run plainly and copy instead.
      const out = (await this.session.run(f)) as unknown as Record<string, TensorLike>;
      if (!fetches) return out;
      for (const [name, target] of Object.entries(fetches)) {
        const src = out[name]?.data as ArrayLike<number> | undefined;
        if (src && src.length === (target.data as ArrayLike<number>).length) (target.data as Float32Array).set(src as Float32Array);
      }
      return { ...out, ...fetches };
    } catch (e) {
      throw new TreluError('E_GRAPH', `ONNX Runtime (wasm) failed to run the model: ${firstLine(e)}`);
    }
  }

  /** The wasm backend is ORT's CPU EP compiled to WebAssembly: every node runs there. */
  async placement(): Promise<NodePlacement[] | undefined> {
    return undefined;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export class OrtWebWasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly runtime = 'onnxruntime-web' as const;
  private initPromise?: Promise<void>;

  init(): Promise<void> {
    this.initPromise ??= loadOrtWeb().then(() => undefined);
    return this.initPromise;
  }

  async createSession(model: Uint8Array | string, options: CreateSessionOptions = {}): Promise<BackendSession> {
    await this.init();
    const ort = await loadOrtWeb();
    try {
      const session = await ort.InferenceSession.create(model as Uint8Array, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        logSeverityLevel: 3,
      });
      return new OrtWebSession(ort, session);
    } catch (e) {
      throw new TreluError('E_UNSUPPORTED', `ONNX Runtime (wasm) cannot create a session: ${firstLine(e)}`);
    }
  }
}
