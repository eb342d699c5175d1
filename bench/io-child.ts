// One measured load + save, in its own process so its peak RSS is its own.
import fs from 'node:fs';
import { loadModelFileAsync } from '../src/node/model-file.js';
import { saveModelFileAsync } from '../src/node/save-model.js';

const [input, output, mode] = process.argv.slice(2) as [string, string, string | undefined];

/** Peak RSS of this process image. ru_maxrss is not usable: Linux carries the parent's high-water mark across fork + exec. */
function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

const t0 = performance.now();
const loaded = await loadModelFileAsync(input);
const t1 = performance.now();
await saveModelFileAsync(loaded.model, output, { source: loaded, fsync: mode === 'fsync' });
const t2 = performance.now();
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, saveMs: t2 - t1, totalMs: t2 - t0, maxRssBytes: peakRssBytes() }) + '\n');
