import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's python3, which has python3-xgboost and python3-onnx (.ci/run installs them). */
export const PYTHON = '/usr/bin/python3';

/** Run a Python snippet with `input` as JSON in `INPUT` and return what it leaves as JSON in `OUTPUT`. */
export function python<T>(code: string, input: unknown): T {
  const dir = mkdtempSync(join(tmpdir(), 'refit-py-'));
  writeFileSync(join(dir, 'in.json'), JSON.stringify(input));
  const prelude = `import json, os\nINPUT = json.load(open(${JSON.stringify(join(dir, 'in.json'))}))\n`;
  const epilogue = `\njson.dump(OUTPUT, open(${JSON.stringify(join(dir, 'out.json'))}, 'w'))\n`;
  execFileSync(PYTHON, ['-c', prelude + code + epilogue], { stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as T;
}

/** XGBoost's own predictions of a save_model JSON file on rows (null = missing), in feature order. */
export function xgboostPredict(model: Uint8Array, rows: (number | null)[][], names?: string[]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'refit-xgb-'));
  writeFileSync(join(dir, 'model.json'), model);
  return python<number[]>(
    `import numpy as np, xgboost as xgb
b = xgb.Booster(model_file=INPUT['model'])
x = np.array([[np.nan if v is None else v for v in r] for r in INPUT['rows']], dtype=np.float32)
OUTPUT = b.predict(xgb.DMatrix(x, feature_names=INPUT['names'])).astype(float).tolist()`,
    { model: join(dir, 'model.json'), rows, names: names ?? null },
  );
}

/** A tiny ONNX logistic regression P(1) = sigmoid(x·w + b), built with onnx's helper API (no network). */
export function onnxLogistic(weights: number[], bias: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'refit-onnx-'));
  const path = join(dir, 'lr.onnx');
  python(
    `import onnx
from onnx import helper, TensorProto
W, b, F = INPUT['w'], INPUT['b'], len(INPUT['w'])
g = helper.make_graph(
  [helper.make_node('MatMul', ['x', 'W'], ['z0']), helper.make_node('Add', ['z0', 'b'], ['z']), helper.make_node('Sigmoid', ['z'], ['p'])],
  'lr', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [None, F])], [helper.make_tensor_value_info('p', TensorProto.FLOAT, [None, 1])],
  [helper.make_tensor('W', TensorProto.FLOAT, [F, 1], W), helper.make_tensor('b', TensorProto.FLOAT, [1], [b])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
m.ir_version = 8
onnx.checker.check_model(m)
onnx.save(m, INPUT['path'])
OUTPUT = True`,
    { w: weights, b: bias, path },
  );
  return readFileSync(path);
}
