#!/usr/bin/env python3
"""Reads model paths on stdin, one a line; prints one JSON line per model with
onnx.checker's verdict: {"path", "verdict": "valid" | "invalid" | "unparseable",
"message"}. The oracle of test/validate/structure.test.ts (Debian python3-onnx
1.12, /usr/bin/python3); external data is not loaded.
"""
import json
import sys
import onnx
from onnx import checker

for line in sys.stdin:
    path = line.rstrip('\n')
    if not path:
        continue
    try:
        with open(path, 'rb') as f:
            data = f.read()
        model = onnx.ModelProto()
        model.ParseFromString(data)
    except Exception as e:  # noqa: BLE001 - any parse failure is the verdict
        print(json.dumps({'path': path, 'verdict': 'unparseable', 'message': str(e)[:200]}), flush=True)
        continue
    try:
        checker.check_model(model)
        print(json.dumps({'path': path, 'verdict': 'valid'}), flush=True)
    except Exception as e:  # noqa: BLE001
        print(json.dumps({'path': path, 'verdict': 'invalid', 'message': str(e).split('\n')[0][:300]}), flush=True)
