/** The graph IR, passes and builder. Browser-safe (no Node built-ins). */
export { Value, type Use } from './value.js';
export { Node, type NodeInit } from './node.js';
export { NodeAttributes } from './node-attributes.js';
export { Graph } from './graph.js';
export { Model, OnnxFunction, functionKey } from './model.js';
export { NameAuthority } from './names.js';
export { topologicalOrder, topologicalSort } from './toposort.js';
export { modelFromProto } from './from-proto.js';
export { modelToProto, graphToProto, nodeToProto, functionToProto } from './to-proto.js';
export { Builder, toAttributes, type BuilderScope, type OpOptions, type AttributeValue } from './builder.js';
export { replaceAllUsesWith, replaceValue, isGraphOutput } from './mutate.js';
export { runPasses, eliminateDeadNodes, sortTopologically, type Pass, type PassResult } from './passes.js';
export { attr, attributeValue, attributeTypeName } from './attributes.js';
export { summarizeModel, typeString, typeProtoString, tensorByteLength, type ModelSummary, type ValueSummary, type ThresholdedReluSummary } from './summary.js';
export { inferModel, inferNodesOnValues, valueInfo } from './infer/index.js';
export { inferTypes, inferNodes, broadcastShapes, type TensorInfo, type Dim } from './infer.js';
export { graphPlaces, type GraphPlace } from './locations.js';
