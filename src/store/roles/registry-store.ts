import type { Activation, Model, ModelSpec, ModelVersion, VersionStatus } from '../../domain/entities.js';

/** A change of the active version. */
export interface ActivationInput {
  readonly modelId: string;
  readonly toVersion: string;
  readonly action: Activation['action'];
  readonly reason: string;
  readonly actor: string;
  readonly at: Date;
  /** Numbers that decided it, kept on its timeline row. Default: none. */
  readonly numbers?: Readonly<Record<string, unknown>> | null;
}

/** What `createModel` did: created the model, or found its id taken (the caller decides what that means). */
export type CreateModelResult = { readonly ok: true; readonly model: Model } | { readonly ok: false; readonly reason: 'exists' };

/**
 * The model registry: models and their specs, versions, the active pointer with its history, and
 * the versions' references to artifacts (by sha256; the bytes live in the ArtifactStore).
 */
export interface RegistryStore {
  /**
   * Insert a model; `{ ok: false }` when the id is taken. Inside a transaction on PostgreSQL a
   * taken id also aborts the transaction: the caller can only roll it back.
   */
  createModel(spec: ModelSpec, at: Date): Promise<CreateModelResult>;
  /** A model by id, or null. */
  getModel(id: string): Promise<Model | null>;
  /**
   * Inside a transaction: read a model and hold it until the transaction ends (`for update` on
   * PostgreSQL; SQLite runs one writer at a time anyway), so that concurrent changes of the same
   * model's active version or rollouts happen one after the other.
   */
  lockModel(id: string): Promise<Model | null>;
  /** Every model, by id. */
  listModels(): Promise<Model[]>;
  /** Replace a model's spec. */
  updateModelSpec(id: string, spec: ModelSpec, at: Date): Promise<void>;
  /** The label-id watermark of the last retrain that trained (0 when none did). */
  getTrainedThrough(modelId: string): Promise<number>;
  /** Move the label-id watermark of a model. */
  setTrainedThrough(modelId: string, labelId: number): Promise<void>;

  /** Insert a version, numbered after the model's latest. */
  insertVersion(v: ModelVersion): Promise<void>;
  /** A version of a model, or null. */
  getVersion(modelId: string, version: string): Promise<ModelVersion | null>;
  /** Newest first. */
  listVersions(modelId: string): Promise<ModelVersion[]>;
  /** The most recently created version, whatever its status. */
  latestVersion(modelId: string): Promise<ModelVersion | null>;
  /** Set a version's status. */
  setVersionStatus(modelId: string, version: string, status: VersionStatus): Promise<void>;

  /** Move the active pointer, retire the previous version and record the history and timeline rows. */
  activate(input: ActivationInput): Promise<Activation>;
  /** Newest first. */
  listActivations(modelId: string): Promise<Activation[]>;

  /** Mark a version's artifact deleted by retention. */
  markArtifactDeleted(modelId: string, version: string, at: Date): Promise<void>;
  /** Versions (of any model) whose artifact or reference is this sha256 and not deleted. */
  countArtifactUses(sha256: string): Promise<number>;
  /**
   * The bytes a version references, from the artifact store, verified: throws ARTIFACT_CORRUPT on
   * a mismatch; null when absent.
   */
  getArtifact(sha256: string): Promise<Uint8Array | null>;
}
