/** The seed corpus: ONNX's conformance models (Debian libonnx-testdata) and this repo's models. */
import fs from 'node:fs';
import path from 'node:path';
import { parseMessage, type WireMessage } from './wire-tree.js';

export const CONFORMANCE = process.env.ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';

export function onnxFilesUnder(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.onnx')) out.push(path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  }
  return out.sort();
}

export interface SeedModel {
  file: string;
  tree: WireMessage;
}

/** Parses every model (up to `maxBytes` each) into a wire tree; files that do not parse are left out. */
export function loadSeeds(dirs: readonly string[], maxBytes = 4 << 20): SeedModel[] {
  const seeds: SeedModel[] = [];
  for (const dir of dirs) {
    for (const file of onnxFilesUnder(dir)) {
      if (fs.statSync(file).size > maxBytes) continue;
      const tree = parseMessage(new Uint8Array(fs.readFileSync(file)), 'ModelProto');
      if (tree) seeds.push({ file, tree });
    }
  }
  return seeds;
}
