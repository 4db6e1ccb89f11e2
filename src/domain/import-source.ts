/** The model file an import job evaluates instead of training: its format and artifact hash. */
export interface ImportSource {
  readonly format: 'xgboost-json' | 'onnx';
  readonly sha256: string;
}
