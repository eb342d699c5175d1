/** One run of a model on one backend: create, run, release. */
import type { Backend, CreateSessionOptions } from './backend.js';
import type { TensorLike } from './tensor.js';
import { createBackends } from './backends/index.js';

let defaultBackends: ReturnType<typeof createBackends> | undefined;

/** A shared registry for one-shot helpers (each backend caches its own init). */
export function sharedBackends(): ReturnType<typeof createBackends> {
  defaultBackends ??= createBackends();
  return defaultBackends;
}

export async function runOnce(backend: Backend, model: Uint8Array | string, feeds: Record<string, TensorLike>, options: CreateSessionOptions = {}): Promise<Record<string, TensorLike>> {
  const session = await backend.createSession(model, options);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** Runs on onnxruntime-node's CPU EP. */
export function runOnCpu(model: Uint8Array | string, feeds: Record<string, TensorLike>, options: CreateSessionOptions = {}): Promise<Record<string, TensorLike>> {
  return runOnce(sharedBackends().get('cpu'), model, feeds, options);
}
