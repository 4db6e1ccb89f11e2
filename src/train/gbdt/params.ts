import { z } from 'zod';

/** Parameters of the gbdt trainer; `parse({})` gives every default. */
export const gbdtParamsSchema = z
  .object({
    /** 'gbdt' boosts (each tree fits the gradient left by the others); 'rf' is a random forest on the same tree code (bagging, per-split feature sampling, no shrinkage). Default 'gbdt'. */
    mode: z.enum(['gbdt', 'rf']).default('gbdt'),
    /** Boosting rounds (trees per output; multiclass grows one tree per class per round). Default 100. */
    numTrees: z.number().int().positive().max(100_000).default(100),
    /** Shrinkage applied to every tree's leaf values (ignored by 'rf'). Default 0.1. */
    learningRate: z.number().positive().max(1).default(0.1),
    /** Regression loss: 'squared' error, 'absolute' error (leaves set to residual medians) or 'huber' (see huberDelta). Default 'squared'. */
    loss: z.enum(['squared', 'absolute', 'huber']).default('squared'),
    /** Huber loss: residuals beyond this (in label units) count linearly. Default 1. */
    huberDelta: z.number().positive().finite().default(1),
    /** 'depthwise' splits every leaf of a level before the next (XGBoost's default); 'leafwise' always splits the leaf with the best gain (LightGBM's). Default 'depthwise'. */
    growPolicy: z.enum(['depthwise', 'leafwise']).default('depthwise'),
    /** Deepest level a tree may reach (the root is depth 0); 0 = unlimited (leafwise only). Default 6. */
    maxDepth: z.number().int().min(0).max(30).default(6),
    /** Most leaves per tree; 0 = 2 ** maxDepth for depthwise, 31 for leafwise without maxDepth. Default 0. */
    maxLeaves: z.number().int().min(0).max(65_536).default(0),
    /** Smallest hessian sum in a child (XGBoost's min_child_weight). Default 0.001. */
    minChildWeight: z.number().min(0).finite().default(1e-3),
    /** Fewest training rows in a leaf (scikit-learn's min_samples_leaf). Split search estimates a side's rows from its hessian sum, as LightGBM does (exact for squared loss; approximate for logistic, softmax, absolute and Huber). Default 20. */
    minSamplesLeaf: z.number().int().min(1).default(20),
    /** Smallest loss reduction for a split (XGBoost's gamma). Default 0. */
    minSplitGain: z.number().min(0).finite().default(0),
    /** L2 penalty on leaf values (XGBoost's lambda). Default 1. */
    l2: z.number().min(0).finite().default(1),
    /** Quantile bins per number feature (2..255), plus one bin for missing values. Default 255. */
    maxBins: z.number().int().min(2).max(255).default(255),
    /** Fraction of rows (without replacement) each tree learns from; 'rf' uses 0.632 when this is 1. Default 1. */
    subsample: z.number().positive().max(1).default(1),
    /** Fraction of features each tree may use. Default 1. */
    colsampleByTree: z.number().positive().max(1).default(1),
    /** Fraction of the tree's features each split may use; default 1 for 'gbdt', sqrt(features) / features for 'rf'. */
    colsampleByNode: z.number().positive().max(1).optional(),
    /** Stop when the validation loss has not improved for this many rounds and keep the best round; 0 = off; needs a validation set, 'gbdt' only. Default 10. */
    earlyStoppingRounds: z.number().int().min(0).default(10),
    /** Threads for training: histograms, split search, gradients, partitions (worker threads over SharedArrayBuffer, started by the first fit that needs them and kept for later fits; only for at least 20,000 feature cells). The model is the same whatever the threads. Batch prediction uses one extra thread of its own from 8,192 rows. Default 2. */
    threads: z.number().int().min(1).max(64).default(2),
    /**
     * Classification only: round each row's gradient and hessian to a fixed grid (stochastically,
     * 6 bits at 800,000 rows, up to 12 on small data) and build histograms from one packed number
     * per row, as LightGBM's quantized training does: one addition per row and feature instead
     * of two (fits of 800,000 x 28 took 12 to 32 % less time in alternated runs, with the same
     * held-out AUC within noise; see README). false: exact gradients (regression always uses
     * them). Default true.
     */
    quantizedGradients: z.boolean().default(true),
    /** Continue from the champion instead of a full retrain: the pipeline, given a champion gbdt model, calls `continueTraining` with `numTrees` extra rounds; `fit` itself always trains from scratch. Default false. */
    warmStart: z.boolean().default(false),
  })
  .strict();

/** Parameters of the gbdt trainer, with defaults filled in. */
export type GbdtParams = z.infer<typeof gbdtParamsSchema>;
