/**
 * Temporary files: one recognisable name, removal on SIGINT/SIGTERM and on
 * error, and finding the ones a kill -9 left behind.
 *
 * A temp file for `dir/name` is `dir/.name.trelu-tmp-<pid>-<random>`: in the
 * target directory (so the final rename is atomic), hidden, and carrying the
 * writer's pid, so that a later run can tell a live writer's file from one
 * whose writer is gone.
 *
 * The set of live temp files is process-wide on purpose: a signal handler can
 * only reach state that is. It holds paths only while a write is in flight.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const MARKER = '.trelu-tmp-';
const TEMP_RE = /^\.(.+)\.trelu-tmp-(\d+)-[0-9a-f]+$/;

export function tempPathFor(finalPath: string): string {
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}${MARKER}${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** The target name and writer pid of a temp file name, or undefined for any other name. */
export function parseTempName(base: string): { target: string; pid: number } | undefined {
  const m = TEMP_RE.exec(base);
  return m ? { target: m[1]!, pid: Number(m[2]) } : undefined;
}

const live = new Set<string>();
let handlersInstalled = false;

/** Signals after which a process that was writing removes its temp files, then dies of the signal. */
const CLEANUP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function registerTemp(p: string): void {
  live.add(p);
  if (!handlersInstalled) {
    handlersInstalled = true;
    for (const sig of CLEANUP_SIGNALS) process.on(sig, onSignal);
    // An exit through process.exit() or an uncaught exception leaves no temp file either.
    process.on('exit', removeLiveTemps);
  }
}

export function unregisterTemp(p: string): void {
  live.delete(p);
}

/** Temp files this process has open right now (for tests). */
export function liveTempFiles(): string[] {
  return [...live];
}

function onSignal(sig: NodeJS.Signals): void {
  removeLiveTemps();
  for (const s of CLEANUP_SIGNALS) process.off(s, onSignal);
  // Die of the signal, as the default handler would have: the parent sees the same status.
  process.kill(process.pid, sig);
}

function removeLiveTemps(): void {
  for (const p of live) {
    try { fs.unlinkSync(p); } catch { /* already gone */ }
  }
  live.clear();
}

export interface StaleTemp {
  path: string;
  /** The file it was to become. */
  target: string;
  pid: number;
  bytes: number;
}

/**
 * Temp files in `dir` whose writer is no longer running (killed with -9, or the
 * machine went down). A file of a live process (this one included) is never stale.
 */
export function findStaleTemps(dir: string): StaleTemp[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: StaleTemp[] = [];
  for (const name of names) {
    const parsed = parseTempName(name);
    if (!parsed || isAlive(parsed.pid)) continue;
    const p = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    out.push({ path: p, target: path.join(dir, parsed.target), pid: parsed.pid, bytes: st.size });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Removes the given stale temp files; returns the ones removed. */
export function removeStaleTemps(stale: readonly StaleTemp[]): StaleTemp[] {
  const removed: StaleTemp[] = [];
  for (const s of stale) {
    try {
      fs.unlinkSync(s.path);
      removed.push(s);
    } catch { /* raced with another cleaner */ }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
