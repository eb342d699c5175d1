import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../src/cli/main.js';

/** Debian's libonnx-testdata (ONNX 1.12 backend test corpus); .ci/run installs it. */
export const CORPUS = process.env.ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';

export function corpusModels(): string[] {
  if (!fs.existsSync(CORPUS)) {
    throw new Error(`ONNX conformance corpus not found at ${CORPUS}: apt-get install libonnx-testdata (or set ONNX_TESTDATA)`);
  }
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.onnx')) out.push(p);
    }
  };
  walk(CORPUS);
  return out.sort();
}

export function tmpDir(prefix = 'trelu-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface CliResult {
  code: number;
  out: string[];
  err: string[];
}

/** Runs the CLI in-process with captured output. */
export async function runCli(...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'trelu', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
