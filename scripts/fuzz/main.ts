/**
 * `npm run fuzz -- --n N --seed S [--save] [--timeout-ms T] [--memory-mb M] [--json] [--from K]`
 * (--from K: inputs K..N-1 of the same run, to reproduce a finding late in a long run)
 *
 * Mutates the seed corpus (mutate.ts), runs every input in a worker child with
 * time and memory limits (harness.ts), de-duplicates findings by signature,
 * minimizes one input per finding and, with --save, writes it to
 * test/fuzz/fixtures/ (replayed by test/fuzz/replay.test.ts). Exit 1 if
 * anything was found.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { seededRandom } from '../../src/runtime/random-inputs.js';
import { CONFORMANCE, loadSeeds } from './corpus.js';
import { mutate } from './mutate.js';
import { FuzzHarness, findingKey, type Verdict } from './harness.js';
import { minimize } from './minimize.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const FIXTURES = path.join(REPO, 'test', 'fuzz', 'fixtures');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

export interface FuzzSummary {
  inputs: number;
  seed: number;
  seconds: number;
  ok: number;
  rejected: Record<string, number>;
  roundTripChanged: number;
  bugs: number;
  hangs: number;
  memory: number;
  findings: { key: string; count: number; stage?: string; message?: string; origin: string; mutators: string[]; fixture?: string }[];
}

export async function fuzz(n: number, seed: number, options: { save?: boolean; timeoutMs?: number; memoryMb?: number; progress?: boolean; minimizeBudget?: number; from?: number } = {}): Promise<FuzzSummary> {
  const seeds = loadSeeds([CONFORMANCE, path.join(REPO, 'models')]);
  if (!seeds.length) throw new Error(`no seed models (is libonnx-testdata installed at ${CONFORMANCE}?)`);
  const random = seededRandom(seed);
  const harness = new FuzzHarness({ timeoutMs: options.timeoutMs, memoryMb: options.memoryMb });
  const t0 = Date.now();
  const summary: FuzzSummary = { inputs: n - (options.from ?? 0), seed, seconds: 0, ok: 0, rejected: {}, roundTripChanged: 0, bugs: 0, hangs: 0, memory: 0, findings: [] };
  const first = new Map<string, { bytes: Uint8Array; verdict: Verdict; origin: string; mutators: string[]; count: number }>();
  try {
    for (let i = 0; i < n; i++) {
      const s = seeds[Math.floor(random() * seeds.length)]!;
      const donors = [0, 1].map(() => seeds[Math.floor(random() * seeds.length)]!.tree);
      const { bytes, mutators } = mutate(s.tree, donors, random);
      if (i < (options.from ?? 0)) continue; // --from K: the same inputs as a full run, the first K not run
      const v = await harness.run(bytes);
      if (v.kind === 'ok') {
        summary.ok++;
        if (v.roundTripChanged) summary.roundTripChanged++;
      } else if (v.kind === 'rejected') {
        summary.rejected[v.code] = (summary.rejected[v.code] ?? 0) + 1;
      } else {
        if (v.kind === 'bug') summary.bugs++;
        else if (v.kind === 'hang') summary.hangs++;
        else summary.memory++;
        const key = findingKey(v)!;
        const f = first.get(key);
        if (f) f.count++;
        else first.set(key, { bytes, verdict: v, origin: path.relative(REPO, s.file), mutators, count: 1 });
      }
      if (options.progress && i % 1000 === 999) process.stderr.write(`  ${i + 1}/${n}: ${summary.bugs} bugs, ${summary.hangs} hangs, ${summary.memory} memory, ${first.size} distinct\n`);
    }
    for (const [key, f] of first) {
      const entry: FuzzSummary['findings'][number] = { key, count: f.count, origin: f.origin, mutators: f.mutators };
      if (f.verdict.kind === 'bug') {
        entry.stage = f.verdict.stage;
        entry.message = f.verdict.message;
      } else if (f.verdict.kind === 'memory') entry.message = f.verdict.detail;
      if (options.save) {
        const small = f.verdict.kind === 'bug' ? await minimize(harness, f.bytes, key, options.minimizeBudget ?? 300) : f.bytes;
        entry.fixture = saveFixture(small, entry);
      }
      summary.findings.push(entry);
    }
  } finally {
    harness.close();
  }
  summary.seconds = Math.round((Date.now() - t0) / 1000);
  return summary;
}

/** Writes `<sha1 prefix>.onnx` and its entry in fixtures.json; returns the file name. */
function saveFixture(bytes: Uint8Array, entry: FuzzSummary['findings'][number]): string {
  fs.mkdirSync(FIXTURES, { recursive: true });
  const name = `${createHash('sha1').update(bytes).digest('hex').slice(0, 12)}.onnx`;
  fs.writeFileSync(path.join(FIXTURES, name), bytes);
  const indexFile = path.join(FIXTURES, 'fixtures.json');
  const index: Record<string, unknown>[] = fs.existsSync(indexFile) ? JSON.parse(fs.readFileSync(indexFile, 'utf8')) : [];
  if (!index.some((e) => e.file === name)) {
    index.push({ file: name, finding: entry.key, stage: entry.stage, message: entry.message, origin: entry.origin, mutators: entry.mutators, bytes: bytes.length });
    fs.writeFileSync(indexFile, JSON.stringify(index, null, 1) + '\n');
  }
  return name;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const n = Number(flag('n') ?? 1000);
  const seed = Number(flag('seed') ?? 1);
  const summary = await fuzz(n, seed, {
    save: process.argv.includes('--save'),
    timeoutMs: flag('timeout-ms') ? Number(flag('timeout-ms')) : undefined,
    memoryMb: flag('memory-mb') ? Number(flag('memory-mb')) : undefined,
    progress: process.stderr.isTTY || process.argv.includes('--progress'),
    from: flag('from') ? Number(flag('from')) : undefined,
  });
  if (process.argv.includes('--json')) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(`fuzz: ${summary.inputs} inputs (seed ${summary.seed}) in ${summary.seconds} s: ${summary.ok} ok, ${Object.values(summary.rejected).reduce((a, b) => a + b, 0)} rejected with a typed error, ${summary.bugs} crashes, ${summary.hangs} hangs, ${summary.memory} memory blow-ups; ${summary.roundTripChanged} changed bytes on an IR round trip`);
    for (const f of summary.findings) console.log(`  ${f.count}x ${f.key}${f.message ? `: ${f.message}` : ''} (from ${f.origin}, ${f.mutators.join('+')})${f.fixture ? ` → ${f.fixture}` : ''}`);
  }
  process.exit(summary.bugs + summary.hangs + summary.memory > 0 ? 1 : 0);
}
