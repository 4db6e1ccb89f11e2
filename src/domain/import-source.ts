/** The model file an import job evaluates instead of training: its format and artifact hash. */
export interface ImportSource {
  readonly format: 'xgboost-json' | 'onnx';
  readonly sha256: string;
}

/** What an import job carries besides a retrain job's fields. */
export interface ImportJobFields {
  /** Import jobs: the model file to evaluate instead of training. Default null. */
  readonly importSource?: ImportSource | null;
}
