#!/usr/bin/env python3
"""Refit command trainer writing model.onnx: a logistic regression fitted with numpy (gradient
descent), saved with onnx's helper API. Needs Debian's python3-onnx. Binary models only.

Declare it as: logreg: { run: [/usr/bin/python3, examples/onnx/train.py], format: onnx }
"""
import csv
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

schema = json.load(open(os.environ["REFIT_SCHEMA_JSON"]))
if schema["task"] != "binary":
    raise SystemExit("this example trains binary models only")
names = [f["name"] for f in schema["features"]]
with open(os.environ["REFIT_TRAIN_CSV"], newline="") as f:
    rows = list(csv.DictReader(f))
x = np.array([[float(r[n]) if r[n] != "" else np.nan for n in names] for r in rows], dtype=np.float64)
y = np.array([float(r["label"]) for r in rows])
# Missing values: the column mean, learned here and baked into the graph below.
means = np.nan_to_num(np.nanmean(x, axis=0))
x = np.where(np.isnan(x), means, x)
scale = x.std(axis=0) + 1e-9
z = (x - means) / scale
w = np.zeros(len(names))
b = 0.0
for step in range(500):
    p = 1 / (1 + np.exp(-(z @ w + b)))
    w -= 0.5 * (z.T @ (p - y) / len(y) + 1e-3 * w)
    b -= 0.5 * float(np.mean(p - y))
    if (step + 1) % 100 == 0:
        print(f"progress: {(step + 1) / 500:.2f}", flush=True)

# The graph: fill NaN with the means, standardise, then sigmoid(x·w + b).
F = len(names)
nodes = [
    helper.make_node("IsNaN", ["x"], ["missing"]),
    helper.make_node("Where", ["missing", "means", "x"], ["filled"]),
    helper.make_node("Sub", ["filled", "means"], ["centred"]),
    helper.make_node("Div", ["centred", "scale"], ["scaled"]),
    helper.make_node("MatMul", ["scaled", "W"], ["z0"]),
    helper.make_node("Add", ["z0", "b"], ["z"]),
    helper.make_node("Sigmoid", ["z"], ["probability"]),
]
init = [
    helper.make_tensor("means", TensorProto.FLOAT, [F], means.tolist()),
    helper.make_tensor("scale", TensorProto.FLOAT, [F], scale.tolist()),
    helper.make_tensor("W", TensorProto.FLOAT, [F, 1], w.tolist()),
    helper.make_tensor("b", TensorProto.FLOAT, [1], [b]),
]
graph = helper.make_graph(nodes, "logreg", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, F])], [helper.make_tensor_value_info("probability", TensorProto.FLOAT, [None, 1])], init)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(os.environ["REFIT_OUTPUT_DIR"], "model.onnx"))
print(f"saved model.onnx ({F} features, {len(y)} rows)", flush=True)
