// One measured CLI run, in its own process (see bench/io.ts): `main` of the CLI build at MAIN_JS
// (ours by default; another checkout's dist/src/cli/main.js for a before/after), called as `trelu ARGS --json`.
//   node cli-child.js MAIN_JS ARGS...
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [mainJs, ...args] = process.argv.slice(2) as [string, ...string[]];

function peakRssBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

const t0 = performance.now();
const { main } = (await import(pathToFileURL(path.resolve(mainJs)).href)) as { main: (argv: string[], io: { out: (l: string) => void; err: (l: string) => void }) => Promise<number> };
const out: string[] = [];
const err: string[] = [];
const code = await main(['node', 'trelu', ...args, '--json'], { out: (l) => out.push(l), err: (l) => err.push(l) });
const totalMs = performance.now() - t0;
if (code !== 0) {
  process.stderr.write(`trelu ${args.join(' ')} exited ${code}: ${err.join('\n')}\n`);
  process.exit(1);
}
const json = JSON.parse(out.join('\n')) as { changes?: unknown[]; copiedBytes?: number };
process.stdout.write(JSON.stringify({ loadMs: 0, editMs: 0, saveMs: 0, totalMs, loadFaults: 0, saveFaults: process.resourceUsage().minorPageFault, replaced: json.changes?.length ?? 0, copiedBytes: json.copiedBytes ?? 0, maxRssBytes: peakRssBytes() }) + '\n');
