/**
 * A worker child process with a time limit per input and a memory limit
 * (address space through `ulimit -v`, V8 heap through --max-old-space-size):
 * a hang or a blow-up kills the worker, is reported for that input, and the
 * next input gets a fresh worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Outcome } from './pipeline.js';

export type Verdict = Outcome | { kind: 'hang'; ms: number } | { kind: 'memory'; detail: string };

export interface HarnessOptions {
  /** Per input. Default 10 s. */
  timeoutMs?: number;
  /** Address-space limit of the worker. Default 3072 MiB. */
  memoryMb?: number;
}

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');

export class FuzzHarness {
  private child: ChildProcess | undefined;
  private nextId = 0;
  private pending: { id: number; child: ChildProcess; resolve: (v: Verdict) => void; timer: NodeJS.Timeout; start: number } | undefined;
  private stderr = '';
  restarts = 0;

  constructor(private readonly options: HarnessOptions = {}) {}

  private start(): ChildProcess {
    const memKb = (this.options.memoryMb ?? 3072) * 1024;
    const heapMb = Math.max(256, Math.floor((this.options.memoryMb ?? 3072) / 2));
    const child = spawn('bash', ['-c', `ulimit -v ${memKb}; exec "$0" --max-old-space-size=${heapMb} "$1"`, process.execPath, WORKER], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.stderr = '';
    child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-2000); });
    child.on('message', (msg: { id: number; outcome: Outcome; rss: number }) => {
      const p = this.pending;
      if (!p || p.id !== msg.id) return;
      clearTimeout(p.timer);
      this.pending = undefined;
      p.resolve(msg.outcome);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const p = this.pending;
      // A worker killed for a hang exits after the next input went to its successor: that input is not its to fail.
      if (!p || p.child !== child) return;
      clearTimeout(p.timer);
      this.pending = undefined;
      const oom = /heap out of memory|Array buffer allocation failed|Cannot allocate|std::bad_alloc|FATAL/i.test(this.stderr);
      p.resolve({ kind: 'memory', detail: `worker died (${signal ?? `exit ${code}`})${oom ? ': out of memory' : ''}: ${this.stderr.split('\n').filter(Boolean).slice(0, 2).join(' | ').slice(0, 200)}` });
    });
    this.restarts++;
    return child;
  }

  run(bytes: Uint8Array): Promise<Verdict> {
    const child = this.child ?? (this.child = this.start());
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    return new Promise((resolve) => {
      const start = Date.now();
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.child = undefined;
        child.kill('SIGKILL');
        resolve({ kind: 'hang', ms: Date.now() - start });
      }, timeoutMs);
      this.pending = { id, child, resolve, timer, start };
      child.send({ id, bytes });
    });
  }

  close(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

/** A verdict that is a finding (a bug to fix), with the key it is de-duplicated by. */
export function findingKey(v: Verdict): string | undefined {
  if (v.kind === 'bug') return v.signature;
  if (v.kind === 'hang') return 'hang';
  if (v.kind === 'memory') return 'memory';
  return undefined;
}
