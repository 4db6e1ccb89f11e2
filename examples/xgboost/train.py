#!/usr/bin/env python3
"""Refit command trainer: trains XGBoost on the splits Refit writes and saves model.json.

Declare it in the server's config file:
  commands: { xgb: { run: [/usr/bin/python3, examples/xgboost/train.py], format: xgboost-json, timeoutMinutes: 10 } }
and name it in a model spec: trainer: { type: command, params: { command: xgb } }.
Needs Debian's python3-xgboost (apt-get install python3-xgboost).
"""
import csv
import json
import os

import numpy as np
import xgboost as xgb


def read(path, features):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    # Missing values are empty fields; XGBoost takes them as NaN and learns their direction.
    x = np.array([[float(r[n]) if r[n] != "" else np.nan for n in features] for r in rows], dtype=np.float32).reshape(len(rows), len(features))
    y = np.array([float(r["label"]) for r in rows], dtype=np.float32)
    return x, y


schema = json.load(open(os.environ["REFIT_SCHEMA_JSON"]))
features = [f["name"] for f in schema["features"]]
x, y = read(os.environ["REFIT_TRAIN_CSV"], features)
vx, vy = read(os.environ["REFIT_VALIDATION_CSV"], features)
task = schema["task"]
params = {"max_depth": 4, "eta": 0.2, "seed": int(os.environ.get("REFIT_SEED", "0")), "nthread": 1}
if task == "binary":
    params["objective"] = "binary:logistic"
elif task == "multiclass":
    params.update(objective="multi:softprob", num_class=len(schema["classes"]))
else:
    params["objective"] = "reg:squarederror"

rounds = 50
print(f"training on {len(y)} rows, validating on {len(vy)}", flush=True)
dtrain = xgb.DMatrix(x, label=y)
evals = [(xgb.DMatrix(vx, label=vy), "validation")] if len(vy) else []


class Progress(xgb.callback.TrainingCallback):
    def after_iteration(self, model, epoch, evals_log):
        if (epoch + 1) % 10 == 0:
            print(f"progress: {(epoch + 1) / rounds:.2f}", flush=True)
        return False


booster = xgb.train(params, dtrain, num_boost_round=rounds, evals=evals, callbacks=[Progress()], verbose_eval=False)
out = os.environ["REFIT_OUTPUT_DIR"]
booster.save_model(os.path.join(out, "model.json"))
json.dump({"rounds": rounds, "trainRows": int(len(y))}, open(os.path.join(out, "metrics.json"), "w"))
print("saved model.json", flush=True)
