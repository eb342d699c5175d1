// Models for the file-safety and kill tests, built here so their size can be chosen.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import Long from 'long';
import { onnx, DataType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { loadModelFile, readExternalBytes } from '../../src/node/model-file.js';
import { isExternal } from '../../src/onnx/external-data.js';
import type { TensorProto } from '../../src/onnx/proto.js';

/**
 * y = x + w0 + w1 + ...: `tensors` float initializers of `elements` each,
 * tensor i filled with `fill + i` (so two models built with different fills
 * have different bytes everywhere).
 */
export function addModelBytes(elements: number, fill: number, tensors = 2): Uint8Array {
  const dims = [Long.fromNumber(elements)];
  const vi = (name: string) => onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: Long.fromNumber(elements) }] } } },
  });
  const initializer = Array.from({ length: tensors }, (_, i) => {
    const data = new Float32Array(elements).fill(fill + i);
    return onnx.TensorProto.create({ name: `w${i}`, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer) });
  });
  const node = initializer.map((w, i) => onnx.NodeProto.create({ opType: 'Add', input: [i === 0 ? 'x' : `s${i - 1}`, w.name], output: [i === tensors - 1 ? 'y' : `s${i}`], name: `add${i}` }));
  return encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8),
    opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: { name: 'add', node, initializer, input: [vi('x')], output: [vi('y')] },
  }));
}

export function writeAddModel(file: string, elements: number, fill: number, tensors = 2): void {
  fs.writeFileSync(file, addModelBytes(elements, fill, tensors));
}

/** sha1 over every initializer's bytes in order, read through the model's external data where it has some. */
export function weightsDigest(file: string): string {
  const loaded = loadModelFile(file);
  const hash = createHash('sha1');
  for (const t of loaded.model.graph!.initializer) {
    const tensor = t as TensorProto;
    hash.update(tensor.name);
    hash.update(isExternal(tensor) ? readExternalBytes(loaded, tensor) : tensor.rawData);
  }
  return hash.digest('hex');
}

export function sha1(file: string): string {
  return createHash('sha1').update(fs.readFileSync(file)).digest('hex');
}

/** Names in `dir` (recursively) that are trelu temp files. */
export function tempFilesIn(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.name.includes('.trelu-tmp-')) out.push(e.name);
  }
  return out;
}
