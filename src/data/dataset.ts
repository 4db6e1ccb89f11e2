import type { FeatureSpec, Task } from '../domain/entities.js';

/** A number or boolean feature: one float per row, NaN where missing (booleans are 0/1). */
export interface NumericColumn {
  readonly name: string;
  readonly kind: 'number';
  readonly values: Float64Array;
}

/** A category feature: one code per row into `levels`, -1 where missing or unseen. */
export interface CategoryColumn {
  readonly name: string;
  readonly kind: 'category';
  readonly codes: Int32Array;
  readonly levels: readonly string[];
}

/** A text feature: the raw text per row, '' where missing. */
export interface TextColumn {
  readonly name: string;
  readonly kind: 'text';
  readonly values: readonly string[];
}

export type Column = NumericColumn | CategoryColumn | TextColumn;

/** Encoded features, column-major, in the order of the model's feature list. */
export interface FeatureMatrix {
  readonly rows: number;
  readonly columns: readonly Column[];
}

/** A labelled, encoded training set. */
export interface Dataset {
  readonly task: Task;
  readonly features: readonly FeatureSpec[];
  /** ['0', '1'] for binary, class names for multiclass (index = label code), [] for regression. */
  readonly classes: readonly string[];
  readonly x: FeatureMatrix;
  /** 0/1 for binary, the class index for multiclass, the value for regression. */
  readonly y: Float64Array;
  /** The label row id of each row (to find the raw rows again). */
  readonly rowIds: Float64Array;
}
