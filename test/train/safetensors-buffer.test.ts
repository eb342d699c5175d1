import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { encodeSafetensors, decodeSafetensors } from '../../src/train/checkpoint/safetensors.js';
import { tmpDir } from '../helpers.js';

// fs.readFileSync returns a Buffer, often a view into Node's shared pool at a non-zero offset; a
// Buffer's own slice() does not copy, so decoding once read the pool from its start.
test('decodeSafetensors reads a file given as a Node Buffer (a view into the pool)', () => {
  const file = path.join(tmpDir(), 'w.safetensors');
  fs.writeFileSync(file, encodeSafetensors([{ name: 'w', dims: [2], data: Float32Array.of(1.5, 2.5) }]));
  const small = Buffer.from(fs.readFileSync(file)); // Buffer.from copies into the pool for small sizes
  for (const bytes of [fs.readFileSync(file), small]) {
    const w = decodeSafetensors(bytes).tensors.get('w')!;
    assert.deepEqual([...w.data], [1.5, 2.5]);
  }
});
