/**
 * The page's state: the model that was opened, the rewritten one, the last
 * run. Panels subscribe to changes. `window.treluApp` exposes it (read-only
 * use) for automation such as the Chromium tests.
 */
import type { Model, ModelSummary, PageRewriteResult, PageVerifyReport, EpRunResult } from '../../src/web/index.js';

export interface OpenedModel {
  name: string;
  bytes: Uint8Array;
  model: Model;
  summary: ModelSummary;
}

export interface RewrittenModel {
  name: string;
  bytes: Uint8Array;
  result: PageRewriteResult;
  verify: PageVerifyReport[];
}

export interface AppState {
  opened?: OpenedModel;
  rewritten?: RewrittenModel;
  lastRun?: { model: string; dims: Record<string, number>; seed: number; results: EpRunResult[]; failures: { ep: string; message: string }[] };
}

export const state: AppState = {};

type Listener = () => void;
const listeners: Listener[] = [];

export function onChange(fn: Listener): void {
  listeners.push(fn);
}

export function changed(): void {
  for (const fn of listeners) fn();
}

/** The model the run panel runs: the rewritten one if there is one. */
export function current(): { name: string; bytes: Uint8Array } | undefined {
  return state.rewritten ?? state.opened;
}
