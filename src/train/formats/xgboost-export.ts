import type { GbdtPredictor } from '../gbdt/gbdt-predictor.js';
import { above32 } from './xgboost-json.js';

/** Why a gbdt model cannot be written as XGBoost JSON (null when it can). */
export function xgboostExportProblem(model: GbdtPredictor): string | null {
  const categories = model.info.features.filter((f) => f.type === 'category');
  if (categories.length > 0) return `its category features (${categories.map((f) => f.name).join(', ')}) split natively, which XGBoost JSON export does not cover`;
  return null;
}

const OBJECTIVE = {
  binary: { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } },
  regression: { name: 'reg:squarederror', reg_loss_param: { scale_pos_weight: '1' } },
} as const;

/**
 * Write a Refit gbdt model as XGBoost's `save_model` JSON (format of XGBoost 1.7). Splits become
 * `x < t` with t the float32 just above Refit's threshold, so float32 inputs split the same way;
 * the base scores become one single-leaf tree per output (base_score 0.5 for binary, 0 otherwise),
 * so no precision is lost to base_score's float32. Features are the model's, in order (text
 * features are never split on). Check `xgboostExportProblem` first.
 */
export function exportXgboostJson(model: GbdtPredictor): Uint8Array {
  const { info, ensemble: e } = model;
  const outputs = info.base.length;
  const F = info.features.length;
  const trees: Record<string, unknown>[] = [];
  const treeInfo: number[] = [];
  const leafTree = (id: number, value: number) => tree(id, [-1], [-1], [0], [value], [0], F);
  for (let k = 0; k < outputs; k++) {
    trees.push(leafTree(trees.length, info.base[k]));
    treeInfo.push(k);
  }
  for (let t = 0; t < e.trees; t++) {
    const order: number[] = [e.roots[t]];
    const left: number[] = [];
    const right: number[] = [];
    const split: number[] = [];
    const cond: number[] = [];
    const dleft: number[] = [];
    for (let q = 0; q < order.length; q++) {
      const node = order[q];
      const f = e.feature[node];
      if (f < 0) {
        left.push(-1);
        right.push(-1);
        split.push(0);
        cond.push(e.value[node]);
        dleft.push(0);
        continue;
      }
      left.push(order.length);
      right.push(order.length + 1);
      order.push(e.left[node], e.left[node] + 1);
      split.push(f);
      cond.push(above32(e.threshold[node]));
      dleft.push(e.defaultLeft[node]);
    }
    trees.push(tree(trees.length, left, right, split, cond, dleft, F));
    treeInfo.push(e.treeOutput[t]);
  }
  const doc = {
    learner: {
      attributes: {},
      feature_names: info.features.map((f) => f.name),
      feature_types: info.features.map(() => 'float'),
      gradient_booster: {
        model: { gbtree_model_param: { num_parallel_tree: '1', num_trees: String(trees.length), size_leaf_vector: '0' }, tree_info: treeInfo, trees },
        name: 'gbtree',
      },
      learner_model_param: {
        base_score: info.task === 'binary' ? '5E-1' : '0E0',
        boost_from_average: '1',
        num_class: info.task === 'multiclass' ? String(outputs) : '0',
        num_feature: String(F),
        num_target: '1',
      },
      objective: info.task === 'multiclass' ? { name: 'multi:softprob', softmax_multiclass_param: { num_class: String(outputs) } } : OBJECTIVE[info.task],
    },
    version: [1, 7, 4],
  };
  // XGBoost's JSON reader tells integers from floats: float arrays must be written with a point.
  const text = JSON.stringify(doc).replace(/"@f:([^"]*)"/g, '[$1]');
  return new TextEncoder().encode(text);
}

/** A float array, written so that every element reads as a JSON float (replaced after stringify). */
function floats(values: readonly number[]): string {
  return `@f:${values.map((v) => (/^-?\d+$/.test(String(v)) ? `${v}.0` : String(v))).join(',')}`;
}

function tree(id: number, left: number[], right: number[], split: number[], cond: number[], dleft: number[], F: number): Record<string, unknown> {
  const n = left.length;
  const parents = new Array<number>(n).fill(2147483647);
  left.forEach((l, i) => {
    if (l >= 0) parents[l] = parents[right[i]] = i;
  });
  return {
    base_weights: floats(cond.map((c, i) => (left[i] < 0 ? c : 0))),
    categories: [],
    categories_nodes: [],
    categories_segments: [],
    categories_sizes: [],
    default_left: dleft,
    id,
    left_children: left,
    loss_changes: floats(new Array<number>(n).fill(0)),
    parents,
    right_children: right,
    split_conditions: floats(cond),
    split_indices: split,
    split_type: new Array<number>(n).fill(0),
    sum_hessian: floats(new Array<number>(n).fill(1)),
    tree_param: { num_deleted: '0', num_feature: String(F), num_nodes: String(n), size_leaf_vector: '0' },
  };
}
