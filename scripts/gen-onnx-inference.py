#!/usr/bin/env python3
"""Writes test/fixtures/onnx-shape-inference.json: what onnx.shape_inference
(Debian's python3-onnx 1.12, data_prop=True) infers for every node output of
the main graph of every model in the ONNX conformance corpus
(/usr/share/libonnx-testdata/data/**/model.onnx), with the models' own
value_info and output declarations removed first, so that it infers from the
graph inputs and initializers alone, as test/graph/infer-vs-onnx.test.ts does
for ours. The test reads the file; CI needs no Python. Run by hand when onnx
or the corpus changes: /usr/bin/python3 scripts/gen-onnx-inference.py

Format: { "<path under data/>": { "<value name>": [elem_type or 0, [dims] or null] } },
a dim being an int (dim_value), a string (dim_param) or null (unknown).

With --out FILE MODEL...: the same for the given model files (keyed by path), written to FILE:
what the test does at test time for the generated torch corpus (cached by the test).
"""
import glob
import json
import os
import onnx
from onnx import shape_inference

import sys

ROOT = '/usr/share/libonnx-testdata/data'


def infer_file(f):
    m = onnx.load(f, load_external_data=False)
    del m.graph.value_info[:]
    for o in m.graph.output:
        o.type.Clear()
    try:
        inferred = shape_inference.infer_shapes(m, data_prop=True)
    except Exception as e:  # onnx refuses some corpus models; ours is not compared on them
        return {'__error__': str(e).splitlines()[0][:200]}
    values = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        t = vi.type
        if not t.HasField('tensor_type'):
            continue
        tt = t.tensor_type
        shape = None
        if tt.HasField('shape'):
            shape = [d.dim_value if d.HasField('dim_value') else (d.dim_param if d.HasField('dim_param') else None) for d in tt.shape.dim]
        if tt.elem_type == 0 and shape is None:
            continue
        values[vi.name] = [tt.elem_type, shape]
    return values


if '--out' in sys.argv:
    i = sys.argv.index('--out')
    target = sys.argv[i + 1]
    files = sys.argv[1:i] + sys.argv[i + 2:]
    with open(target + '.tmp', 'w') as fh:
        json.dump({'onnx': onnx.__version__, 'models': {f: infer_file(f) for f in files}}, fh, separators=(',', ':'))
    os.replace(target + '.tmp', target)
    sys.exit(0)

out = {}
for f in sorted(glob.glob(ROOT + '/**/model.onnx', recursive=True)):
    out[os.path.relpath(os.path.dirname(f), ROOT)] = infer_file(f)
os.makedirs('test/fixtures', exist_ok=True)
with open('test/fixtures/onnx-shape-inference.json', 'w') as fh:
    fh.write('{"generator": "scripts/gen-onnx-inference.py", "onnx": %s, "models": {\n' % json.dumps(onnx.__version__))
    fh.write(',\n'.join('%s: %s' % (json.dumps(k), json.dumps(v, separators=(',', ':'))) for k, v in out.items()))
    fh.write('\n}}\n')
print(len(out), 'models,', sum(len(v) for v in out.values()), 'values')
