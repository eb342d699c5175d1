// The IR: use tracking under mutation, safe removal, unique names, stable
// toposort, outer-scope references in subgraphs, dead-node elimination.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { Graph, Model, Node, Value, Builder, NameAuthority, modelFromProto, modelToProto, topologicalOrder, topologicalSort, replaceAllUsesWith, eliminateDeadNodes, runPasses, attr } from '../../src/graph/index.js';
import { CORPUS } from '../helpers.js';

function chain(n: number): { model: Model; graph: Graph; x: Value; nodes: Node[] } {
  const graph = new Graph({ name: 'g' });
  const model = new Model({ graph, opsetImports: new Map([['', 22]]), irVersion: 10 });
  const x = new Value('x');
  model.valueNames.register('x');
  graph.addInput(x);
  const b = new Builder(model, graph);
  let h = x;
  for (let i = 0; i < n; i++) h = b.op('Relu', [h]);
  graph.outputs.push(h);
  return { model, graph, x, nodes: b.created };
}

test('uses follow replaceInput and replaceAllUsesWith, in insertion order', () => {
  const { model, graph, x, nodes } = chain(3);
  const b = new Builder(model, graph, { after: nodes[0] });
  const y = b.op('Abs', [x]);
  const add = new Builder(model, graph).op('Add', [x, y]);
  assert.deepEqual(x.uses().map((u) => [u.node.opType, u.index]), [['Relu', 0], ['Abs', 0], ['Add', 0]]);
  nodes[1]!.replaceInput(0, x);
  assert.deepEqual(x.uses().map((u) => u.node.opType), ['Relu', 'Abs', 'Add', 'Relu']);
  assert.equal(nodes[0]!.outputs[0]!.hasUses(), false);
  // Every use moves, the new value's own producer included (as in onnx-ir):
  // callers wire the producer back afterwards, as `insert` does.
  const abs = y.producer()!;
  replaceAllUsesWith(x, y);
  assert.equal(x.uses().length, 0);
  assert.deepEqual(y.uses().map((u) => u.node.opType), ['Add', 'Relu', 'Abs', 'Add', 'Relu'], 'y keeps its own use first, then gains the uses of x in order');
  abs.replaceInput(0, x);
  assert.deepEqual(x.uses().map((u) => u.node.opType), ['Abs']);
  // uses() is a snapshot: rewiring while iterating is safe
  for (const u of y.uses()) u.node.replaceInput(u.index, x);
  assert.equal(y.uses().length, 0);
  assert.equal(x.uses().length, 5);
  assert.ok(add.producer());
});

test('iteration tolerates removal of the current and the next node', () => {
  const { graph, nodes } = chain(5);
  const seen: string[] = [];
  for (const n of graph) {
    seen.push(n.name);
    if (n === nodes[1]) graph.remove([nodes[1]!, nodes[2]!], { safe: false });
  }
  assert.deepEqual(seen, [nodes[0]!.name, nodes[1]!.name, nodes[3]!.name, nodes[4]!.name]);
});

test('safe removal checks everything before it mutates', () => {
  const { graph, nodes } = chain(3);
  const before = graph.nodes;
  assert.throws(() => graph.remove([nodes[0]!]), /used by/);
  assert.throws(() => graph.remove([nodes[1]!, nodes[2]!]), /graph output/);
  assert.deepEqual(graph.nodes, before);
  assert.equal(nodes[0]!.outputs[0]!.uses().length, 1, 'uses untouched after a refused removal');
  graph.outputs = [nodes[0]!.outputs[0]!];
  graph.remove([nodes[2]!, nodes[1]!]);
  assert.equal(graph.nodeCount, 1);
  assert.equal(nodes[0]!.outputs[0]!.hasUses(), false);
});

test('the name authority never collides, across subgraphs too', () => {
  const names = new NameAuthority();
  for (const n of ['relu', 'relu_1', 'relu_3']) names.register(n);
  const fresh = Array.from({ length: 5 }, () => names.unique('relu'));
  assert.deepEqual(fresh, ['relu_2', 'relu_4', 'relu_5', 'relu_6', 'relu_7']);
  const file = path.join(CORPUS, 'node', 'test_loop11', 'model.onnx');
  const model = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(file))));
  const body = model.graph.nodes.find((n) => n.opType === 'Loop')!.subgraphs.get('body')![0]!;
  const bodyNames = body.nodes.flatMap((n) => n.outputs.map((v) => v.name));
  for (const name of bodyNames) assert.notEqual(model.valueNames.unique(name), name);
});

test('toposort restores a valid order from any shuffle and keeps sorted graphs as they are', () => {
  const { graph } = chain(1);
  const b = new Builder({ valueNames: new NameAuthority(), nodeNames: new NameAuthority() }, graph);
  const x = graph.inputs[0]!;
  // A diamond-rich DAG: each node reads two earlier values.
  const values = [x];
  for (let i = 0; i < 30; i++) values.push(b.op('Add', [values[(i * 7) % values.length]!, values[(i * 3) % values.length]!]));
  const sorted = graph.nodes;
  topologicalSort(graph);
  assert.deepEqual(graph.nodes, sorted, 'an already sorted graph keeps its order');
  fc.assert(fc.property(fc.array(fc.nat(), { minLength: sorted.length, maxLength: sorted.length }), (keys) => {
    const shuffled = sorted.map((n, i) => [keys[i]!, n] as const).sort((a, b) => a[0] - b[0]).map(([, n]) => n);
    graph.reorder(shuffled);
    const order = topologicalOrder(graph);
    const position = new Map(order.map((n, i) => [n, i]));
    for (const n of order) for (const v of n.inputs) {
      const p = v?.producer();
      if (p) assert.ok(position.get(p)! < position.get(n)!);
    }
    assert.equal(order.length, sorted.length);
  }), { numRuns: 100, seed: 42 });
});

test('toposort reports cycles', () => {
  const { graph, nodes } = chain(3);
  nodes[0]!.replaceInput(0, nodes[2]!.outputs[0]!);
  assert.throws(() => topologicalOrder(graph), /cycle/);
});

test('subgraph nodes that read outer values are uses of those outer values', () => {
  let outerReads = 0;
  for (const name of ['test_if', 'test_loop11', 'test_scan9_sum', 'test_range_float_type_positive_delta_expanded']) {
    const file = path.join(CORPUS, 'node', name, 'model.onnx');
    const bytes = new Uint8Array(fs.readFileSync(file));
    const model = modelFromProto(decodeModel(bytes));
    const parent = model.graph.nodes.find((n) => n.subgraphs.size > 0)!;
    for (const v of parent.outerScopeInputs()) {
      outerReads++;
      assert.equal(v.graph, model.graph, `${name}: ${v.name} resolves to the main graph's value`);
      assert.ok(v.uses().some((u) => u.node.graph !== model.graph), `${name}: ${v.name} has a use inside the subgraph`);
    }
    assert.deepEqual(Buffer.from(encodeModel(modelToProto(model))), Buffer.from(bytes));
  }
  // The expanded Range function's Loop body reads the outer 'delta'.
  assert.ok(outerReads >= 1);
});

test('dead-node elimination keeps outputs and nodes used from subgraphs', () => {
  const { model, graph, x, nodes } = chain(2);
  const b = new Builder(model, graph);
  const dead1 = b.op('Abs', [x]);
  b.op('Neg', [dead1]);
  const feedsSubgraph = b.op('Sigmoid', [x]);
  const body = new Graph({ name: 'then' });
  const inner = new Node({ opType: 'Identity', inputs: [feedsSubgraph], outputs: [new Value('inner')] });
  body.append(inner);
  body.outputs.push(inner.outputs[0]!);
  const cond = b.op('Greater', [x, x]);
  const ifNode = new Node({ opType: 'If', inputs: [cond], outputs: [new Value('if_out')], attributes: [attr.int('unused', 0)], subgraphs: new Map([['then_branch', [body]]]) });
  graph.append(ifNode);
  graph.outputs.push(ifNode.outputs[0]!);
  const result = runPasses(model, [eliminateDeadNodes]);
  assert.equal(result.modified, true);
  const ops = graph.nodes.map((n) => n.opType);
  assert.deepEqual(ops, ['Relu', 'Relu', 'Sigmoid', 'Greater', 'If']);
  assert.equal(eliminateDeadNodes.run(model).modified, false);
  assert.ok(nodes.every((n) => n.graph === graph));
});
