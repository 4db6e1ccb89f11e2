import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { encodeRows } from '../../data/build-dataset.js';
import type { FeatureMatrix } from '../../data/dataset.js';
import type { FeatureRow } from '../../domain/entities.js';
import { UnrecoverableError } from '../../errors.js';
import type { Predictor } from '../trainer.js';
import { encodeEnvelope, type ExternalModelMeta } from './envelope.js';

/** One float output of a run: its name, shape and values. */
interface OnnxOutput {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array | null;
}

type Reply = { ok: true; outputs?: OnnxOutput[] } | { ok: false; message: string };

// onnxruntime-node only runs asynchronously, while a Predictor answers synchronously (the scorer's
// hot path stays synchronous for Refit's own models). So the sessions live in one worker thread and
// each call waits for it on an Atomics flag, reading the reply with receiveMessageOnPort.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.runtime);
const sessions = new Map();
parentPort.on('message', async (m) => {
  let reply;
  try {
    if (m.op === 'load') {
      sessions.set(m.id, await ort.InferenceSession.create(m.bytes));
      reply = { ok: true };
    } else if (m.op === 'free') {
      const s = sessions.get(m.id); sessions.delete(m.id); if (s && s.release) await s.release();
      reply = { ok: true };
    } else {
      const s = sessions.get(m.id);
      if (!s) throw new Error('no such session');
      const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', m.data, [m.rows, m.cols]) });
      reply = { ok: true, outputs: s.outputNames.map((name) => {
        const t = out[name];
        const float = t && (t.type === 'float32' || t.type === 'float64');
        return { name, dims: t && t.dims ? Array.from(t.dims) : [], data: float ? t.data : null };
      }) };
    }
  } catch (err) {
    reply = { ok: false, message: err && err.message ? err.message : String(err) };
  }
  m.port.postMessage(reply);
  m.port.close();
  Atomics.store(m.flag, 0, 1);
  Atomics.notify(m.flag, 0);
});
`;

let worker: Worker | null = null;
let nextId = 1;

/** Longest wait for one ONNX call, in ms. */
const CALL_TIMEOUT_MS = 120_000;

function call(message: Record<string, unknown>): Reply {
  if (!worker) {
    // Resolved here, from this package, whatever the working directory of the process.
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { runtime: createRequire(import.meta.url).resolve('onnxruntime-node') } });
    // The thread must never keep the process alive on its own.
    worker.unref();
  }
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  worker.postMessage({ ...message, flag, port: port2 }, [port2]);
  const waited = Atomics.wait(flag, 0, 0, CALL_TIMEOUT_MS);
  const received = receiveMessageOnPort(port1);
  port1.close();
  if (waited === 'timed-out' || !received) throw new Error('the ONNX runtime did not answer in time');
  return received.message as Reply;
}

const sessions = new FinalizationRegistry<number>((id) => {
  try {
    call({ op: 'free', id });
  } catch {
    // A session that cannot be freed goes with the thread.
  }
});

/**
 * An ONNX model scored by onnxruntime-node. Input: one float32 tensor [N, F], the features in the
 * model's order (booleans 1/0, missing NaN). Output used: the first float tensor that is [N, K]
 * class probabilities (K classes; for binary [N, 2] takes column 1, [N, 1] or [N] is P(1)) or,
 * for regression, [N] or [N, 1] values. sklearn-onnx classifiers need `zipmap: False`.
 */
export class OnnxPredictor implements Predictor {
  /** Artifact kind of an imported (or command-trained) ONNX model. */
  readonly kind = 'onnx';
  /** 1 for binary and regression, the number of classes for multiclass. */
  readonly outputsPerRow: number;
  /** Class names in output order. */
  readonly classes: readonly string[];
  private readonly id: number;

  constructor(
    readonly meta: ExternalModelMeta,
    /** The model file as given. */
    readonly model: Uint8Array,
  ) {
    this.classes = meta.classes;
    this.outputsPerRow = meta.task === 'multiclass' ? meta.classes.length : 1;
    this.id = nextId++;
    const reply = call({ op: 'load', id: this.id, bytes: model.slice() });
    if (!reply.ok) throw new UnrecoverableError(`unreadable onnx model: ${reply.message}`);
    sessions.register(this, this.id);
  }

  predictRows(rows: readonly FeatureRow[]): Float64Array {
    return this.predictMatrix(encodeRows(this.meta.features, rows, {}));
  }

  predictMatrix(x: FeatureMatrix): Float64Array {
    const n = x.rows;
    const F = x.columns.length;
    const data = new Float32Array(n * F);
    x.columns.forEach((c, f) => {
      for (let r = 0; r < n; r++) data[r * F + f] = c.kind === 'number' ? c.values[r] : NaN;
    });
    if (n === 0) return new Float64Array(0);
    const reply = call({ op: 'run', id: this.id, data, rows: n, cols: F });
    if (!reply.ok) throw new Error(`the onnx model failed to score: ${reply.message}`);
    return this.pick(reply.outputs ?? [], n);
  }

  /** The output the docs promise, as `outputsPerRow` values per row. */
  private pick(outputs: readonly OnnxOutput[], n: number): Float64Array {
    const K = this.meta.task === 'multiclass' ? this.meta.classes.length : this.meta.task === 'binary' ? 2 : 1;
    for (const o of outputs) {
      if (!o.data || o.dims[0] !== n) continue;
      const width = o.dims.length === 1 ? 1 : o.dims.slice(1).reduce((a, b) => a * b, 1);
      if (width === K || width === 1) {
        const out = new Float64Array(n * this.outputsPerRow);
        if (width === this.outputsPerRow) out.set(o.data);
        else for (let r = 0; r < n; r++) out[r] = o.data[r * 2 + 1]; // binary [N, 2]: P(class 1)
        return out;
      }
    }
    const seen = outputs.map((o) => `${o.name} [${o.dims.join(', ')}]${o.data ? '' : ' (not float)'}`).join(', ');
    throw new Error(`the onnx model has no float output of [${n}, ${K}] or [${n}] (it has ${seen}); see docs/byom.md`);
  }

  serialize(): Uint8Array {
    return encodeEnvelope(this.meta, this.model);
  }
}

/** Load an ONNX model for a model of `meta`'s task and features; throws UnrecoverableError when onnxruntime cannot. */
export function loadOnnx(model: Uint8Array, meta: ExternalModelMeta): OnnxPredictor {
  return new OnnxPredictor(meta, model);
}
