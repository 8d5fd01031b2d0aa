/**
 * Voxel-wise ridge regression with the penalty chosen per target by k-fold cross-validation, the way
 * himalaya's RidgeCV / KernelRidgeCV do it: for each fold the (train-centred) kernel or covariance is
 * decomposed once, every alpha of the grid is scored on the validation samples, the best mean score over
 * folds picks each target's alpha (ties go to the larger alpha), and the model is refit on all samples.
 *
 * Dual (kernel) form when features outnumber samples, primal otherwise. Both use one factorisation
 * S = Q T Q^T per fold (linalg/tridiag.ts) so that (S + alpha I)^-1 = Q (T + alpha I)^-1 Q^T costs one
 * O(n) tridiagonal solve per alpha. Targets are processed in blocks, and the per-fold work is arranged
 * as one large matrix product per block ([alphas x validation] x train times train x targets), the only
 * part whose cost grows with the number of voxels.
 */
import { UserError } from "../../common/errors.ts";
import { gram, matmul, matmulABt, matmulAtB } from "../linalg/gemm.ts";
import { assertFinite, centerCols, colMeans, selectBlock, selectRows, sliceCols, transpose, type Matrix } from "../linalg/matrix.ts";
import { factorShifted, negativeEigenvalueBound, solveShifted, tridiagonalize, type ShiftedFactors } from "../linalg/tridiag.ts";
import { toPatterns, type Patterns, type PatternsInput } from "../data/patterns.ts";
import { fitPca, type Pca } from "./pca.ts";
import { foldsFromLabels, kFold, type Split } from "./folds.ts";
import { checkScore, scoreColumns, type ScoreName } from "./scores.ts";

export interface RidgeCVOptions {
  /** the grid of penalties (positive) */
  alphas: ArrayLike<number>;
  /** k of k-fold CV (scikit-learn KFold, unshuffled); default 5 */
  nFolds?: number;
  /** fold label per training sample (e.g. run), one fold per label; overrides nFolds */
  folds?: ArrayLike<string | number>;
  /** CV score used to choose alpha: himalaya's default "l2" (negative mean squared error), "r2" or "correlation" */
  score?: ScoreName;
  /** centre X and Y with the training means and fit an intercept (default true) */
  fitIntercept?: boolean;
  /** "auto" (default): dual when features > samples, else primal */
  solver?: "auto" | "dual" | "primal";
  /** targets per block (bounds memory; default 2048) */
  targetBlock?: number;
  /** most doubles held by one fold's stacked prediction operator (default 2^24 = 128 MB); larger grids run in alpha batches */
  maxOperatorDoubles?: number;
  /**
   * reduce the features to principal components first: a count, or a fraction in (0, 1) of the variance.
   * PCA is fit on all of X (unsupervised, before the CV split); predict() applies it to new features and
   * coef / intercept are mapped back to the original features.
   */
  pca?: number;
}

/** Responses streamed in column blocks (e.g. from a file), so that voxels never sit in memory all at once. */
export interface TargetSource {
  readonly nSamples: number;
  readonly nTargets: number;
  /** samples x (end - start), columns start..end-1 */
  block(start: number, end: number): Matrix;
  /** optional: rows `rows` of columns start..end-1 in one copy (saves a pass for in-memory data) */
  rowBlock?(rows: Int32Array, start: number, end: number): Matrix;
}

export interface RidgeCVSelection {
  solver: "dual" | "primal";
  alphaGrid: Float64Array;
  /** chosen alpha per target */
  alphas: Float64Array;
  /** mean CV score over folds at the chosen alpha, per target */
  cvScores: Float64Array;
  /** mean CV score over folds, alphas x targets (NaN where an alpha was too small for a fold's kernel) */
  cvScoresGrid: Matrix;
}

export interface RidgeCVResult extends RidgeCVSelection {
  /** the PCA applied to the features, when requested */
  pca: Pca | null;
  intercept: Float64Array;
  /** samples x targets, dual form only */
  dualCoef: Matrix | null;
  /** features x targets (in the dual form computed on first access: X_c^T dualCoef) */
  readonly coef: Matrix;
  /** predictions for new stimuli x features (nested arrays, Matrix or Patterns) */
  predict(X: PatternsInput): Matrix;
}

/**
 * A block of refit coefficients for targets start..end-1: dual (samples x block) or primal
 * (features x block), with the targets' training means (the model is yhat = (x - xMean) w + yMean).
 */
export interface RidgeRefitBlock {
  start: number;
  end: number;
  coef: Matrix;
  yMean: Float64Array;
}

/** What ridgeCVBlocks returns: the alpha choice plus the centred design needed to predict. */
export interface RidgeCVFit extends RidgeCVSelection {
  /** feature means subtracted before fitting (zeros without an intercept) */
  xMean: Float64Array;
  /** the centred training features (dual predictions need them) */
  Xc: Matrix;
}

const DEFAULTS = { nFolds: 5, score: "l2" as ScoreName, fitIntercept: true, targetBlock: 2048, maxOperatorDoubles: 2 ** 24 };

export function matrixSource(Y: Matrix): TargetSource {
  return {
    nSamples: Y.rows,
    nTargets: Y.cols,
    block: (s, e) => (s === 0 && e === Y.cols ? Y : sliceCols(Y, s, e)),
    rowBlock: (rows, s, e) => selectBlock(Y, rows, s, e),
  };
}

/**
 * ridgeCV on targets held in memory (see ridgeCVBlocks for streamed targets). X: stimuli x features,
 * Y: stimuli x voxels; nested arrays, Matrix or labelled Patterns (whose stimulus ids must then agree).
 */
export function ridgeCV(Xin: PatternsInput, Yin: PatternsInput, opts: RidgeCVOptions): RidgeCVResult {
  if (opts.pca !== undefined) return ridgeCVOnComponents(Xin, Yin, opts, opts.pca);
  const X = asMatrix(Xin, "X");
  const Y = asMatrix(Yin, "Y");
  const xIds = (Xin as Partial<Patterns>).ids;
  const yIds = (Yin as Partial<Patterns>).ids;
  if (xIds && yIds) {
    const k = xIds.findIndex((id, i) => id !== yIds[i]);
    if (k >= 0 || xIds.length !== yIds.length) {
      throw new UserError(`ridgeCV: the rows of X and Y are different stimuli (row ${k + 1}: "${xIds[k]}" vs "${yIds[k]}"); align them with selectIds(Y, X.ids)`);
    }
  }
  if (Y.rows !== X.rows) {
    throw new UserError(`ridgeCV: X has ${X.rows} samples (rows) but Y has ${Y.rows}; rows must be the same stimuli in the same order`);
  }
  const T = Y.cols;
  const yMean = new Float64Array(T);
  let stored: Matrix | null = null;
  const fit = ridgeCVBlocks(X, matrixSource(Y), opts, (b) => {
    stored ??= { rows: b.coef.rows, cols: T, data: new Float64Array(b.coef.rows * T) };
    const w = b.end - b.start;
    for (let i = 0; i < b.coef.rows; i++) stored.data.set(b.coef.data.subarray(i * w, (i + 1) * w), i * T + b.start);
    yMean.set(b.yMean, b.start);
  });
  const coefs: Matrix = stored ?? { rows: fit.solver === "dual" ? X.rows : X.cols, cols: T, data: new Float64Array(0) };
  const { xMean, Xc } = fit;
  let primal: Matrix | null = fit.solver === "primal" ? coefs : null;
  // intercept = ybar - xbar . w  (scikit-learn's convention)
  const xw = fit.solver === "dual" ? matmulAtB(matmul(Xc, { rows: xMean.length, cols: 1, data: xMean }), coefs).data : matmul({ rows: 1, cols: xMean.length, data: xMean }, coefs).data;
  const intercept = yMean.map((m, t) => m - xw[t]!);
  return {
    pca: null,
    solver: fit.solver,
    alphaGrid: fit.alphaGrid,
    alphas: fit.alphas,
    cvScores: fit.cvScores,
    cvScoresGrid: fit.cvScoresGrid,
    intercept,
    dualCoef: fit.solver === "dual" ? coefs : null,
    get coef(): Matrix {
      return (primal ??= matmulAtB(Xc, coefs));
    },
    predict(XnewIn: PatternsInput): Matrix {
      const Xnew = asMatrix(XnewIn, "X");
      if (Xnew.cols !== X.cols) {
        throw new UserError(`predict: X has ${Xnew.cols} features but the model was fit on ${X.cols}`);
      }
      const Xn = centerCols(Xnew, xMean);
      const out = fit.solver === "dual" ? matmul(matmulABt(Xn, Xc), coefs) : matmul(Xn, coefs);
      for (let i = 0; i < out.rows; i++) {
        const o = i * T;
        for (let t = 0; t < T; t++) out.data[o + t] = out.data[o + t]! + yMean[t]!;
      }
      return out;
    },
  };
}

/** ridgeCV on principal-component scores, with coefficients and predictions in terms of the original features. */
function ridgeCVOnComponents(Xin: PatternsInput, Yin: PatternsInput, opts: RidgeCVOptions, nComponents: number): RidgeCVResult {
  const X = asMatrix(Xin, "X");
  const pca = fitPca(X, nComponents);
  const scores = pca.transform(X);
  const inner = ridgeCV(
    "ids" in (Xin as object) ? { ...scores, ids: (Xin as Patterns).ids } : scores,
    Yin,
    { ...opts, pca: undefined },
  );
  let coef: Matrix | null = null;
  const getCoef = (): Matrix => (coef ??= matmulAtB(pca.components, inner.coef)); // features x targets
  // yhat = (x - mu) C^T w + b = x (C^T w) + (b - mu C^T w)
  const shift = matmul({ rows: 1, cols: pca.mean.length, data: pca.mean }, getCoef()).data;
  return {
    ...inner,
    pca,
    dualCoef: inner.dualCoef,
    intercept: inner.intercept.map((b, t) => b - shift[t]!),
    get coef(): Matrix {
      return getCoef();
    },
    predict: (Xnew: PatternsInput) => inner.predict(pca.transform(asMatrix(Xnew, "X"))),
  };
}

/**
 * ridgeCV over targets delivered in blocks: memory is O(samples^2 + samples x block), independent of the
 * number of targets. `onRefit` receives each block's refit coefficients (write them out, or keep them).
 */
export function ridgeCVBlocks(X: Matrix, targets: TargetSource, opts: RidgeCVOptions, onRefit?: (block: RidgeRefitBlock) => void): RidgeCVFit {
  const o = { ...DEFAULTS, ...stripUndefined(opts) };
  const score = checkScore(o.score);
  const alphaGrid = checkAlphas(opts.alphas);
  const n = X.rows;
  const p = X.cols;
  if (targets.nSamples !== n) {
    throw new UserError(`ridgeCV: X has ${n} samples (rows) but the responses have ${targets.nSamples}`);
  }
  assertFinite(X, "ridgeCV: X");
  const solver = o.solver === "auto" || o.solver === undefined ? (p > n ? "dual" : "primal") : o.solver;
  const splits = opts.folds !== undefined ? foldsFromLabels(checkFoldLabels(opts.folds, n)) : kFold(n, o.nFolds);
  for (const s of splits) {
    if (s.train.length < 2) throw new UserError(`ridgeCV: a fold leaves ${s.train.length} training sample(s); use fewer folds`);
  }
  const xMean = o.fitIntercept ? colMeans(X) : new Float64Array(p);
  // centring with the overall mean first changes nothing (fold centring removes any shift) but keeps
  // the kernel free of the cancellation a large common offset would cause
  const Xc = o.fitIntercept ? centerCols(X, xMean) : X;
  const gramMatrix = solver === "dual" ? gram(Xc) : matmulAtB(Xc, Xc);

  const nA = alphaGrid.length;
  const T = targets.nTargets;
  const block = Math.max(1, Math.floor(o.targetBlock));
  const sums = new Float64Array(nA * T);
  const invalid = new Uint8Array(nA);
  splits.forEach((split, f) => {
    const op = foldOperator(solver, Xc, gramMatrix, split, alphaGrid, o.fitIntercept, o.maxOperatorDoubles);
    op.tooSmall.forEach((bad, a) => {
      if (bad) invalid[a] = 1;
    });
    for (let start = 0; start < T; start += block) {
      const end = Math.min(T, start + block);
      const { Yt, Yv } = splitTargets(targets, start, end, split, o.fitIntercept, f === 0);
      op.scoreBlock(Yt, Yv, score, (a, scores) => {
        const off = a * T + start;
        for (let t = 0; t < scores.length; t++) sums[off + t] += scores[t]!;
      });
    }
  });
  const grid = new Float64Array(nA * T);
  for (let a = 0; a < nA; a++) {
    for (let t = 0; t < T; t++) grid[a * T + t] = invalid[a] ? NaN : sums[a * T + t]! / splits.length;
  }
  if (invalid.every((b) => b === 1)) {
    throw new UserError(`ridgeCV: every alpha is too small for the kernel's negative eigenvalues; use larger alphas`);
  }
  // best mean score per target; the tiny log(alpha) slope breaks ties towards larger alphas as himalaya does
  const chosen = new Int32Array(T);
  const alphas = new Float64Array(T);
  const cvScores = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let best = -Infinity;
    let arg = -1;
    for (let a = 0; a < nA; a++) {
      if (invalid[a]) continue;
      const v = grid[a * T + t]! + Math.log(alphaGrid[a]!) * 1e-10;
      if (v > best || arg < 0) {
        best = v;
        arg = a;
      }
    }
    chosen[t] = arg;
    alphas[t] = alphaGrid[arg]!;
    cvScores[t] = grid[arg * T + t]!;
  }
  if (onRefit) refit(solver, Xc, gramMatrix, targets, alphaGrid, chosen, o.fitIntercept, block, onRefit);
  return { solver, alphaGrid, alphas, cvScores, cvScoresGrid: { rows: nA, cols: T, data: grid }, xMean, Xc };
}

interface FoldOperator {
  tooSmall: boolean[];
  /** scores of every alpha on the validation rows for one block of (centred) targets */
  scoreBlock(Yt: Matrix, Yv: Matrix, score: ScoreName, emit: (alpha: number, scores: Float64Array) => void): void;
}

/**
 * The prediction operator of one fold: pred_a = L (T + alpha_a I)^-1 Rt^T Yt, with S_t = Q T Q^T the
 * decomposed training kernel (dual: L = K_vt Q, Rt = Q) or covariance (primal: L = X_v Q, Rt = X_t Q).
 * When it is cheaper per target, the per-alpha operators are stacked into one (alphas*validation) x train
 * matrix M so each block of targets costs a single product M Yt.
 */
function foldOperator(solver: "dual" | "primal", Xc: Matrix, G: Matrix, split: Split, alphaGrid: Float64Array, center: boolean, maxDoubles: number): FoldOperator {
  const { train, validation } = split;
  const nt = train.length;
  const nv = validation.length;
  let S: Matrix;
  let Lpre: Matrix; // validation side before Q
  let RtPre: Matrix | null; // training side before Q (primal), null for dual (Rt = Q)
  if (solver === "dual") {
    const { Ktt, Kvt } = foldKernels(G, train, validation, center);
    S = Ktt;
    Lpre = Kvt;
    RtPre = null;
  } else {
    const Xt = selectRows(Xc, train);
    const Xv = selectRows(Xc, validation);
    if (center) {
      const m = colMeans(Xt);
      subtractRowVector(Xt, m);
      subtractRowVector(Xv, m);
    }
    S = matmulAtB(Xt, Xt);
    Lpre = Xv;
    RtPre = Xt;
  }
  const tri = tridiagonalize(S);
  const lambdaMin = negativeEigenvalueBound(tri);
  // himalaya: an alpha below twice the most negative eigenvalue cannot be trusted
  const tooSmall = Array.from(alphaGrid, (a) => lambdaMin < 0 && a < -2 * lambdaMin);
  const factors = factorShifted(tri, alphaGrid);
  const L = matmul(Lpre, tri.Q); // nv x r
  const Rt = RtPre ? matmul(RtPre, tri.Q) : tri.Q; // nt x r
  const r = tri.d.length;
  const nA = alphaGrid.length;
  const stacked = nA * nv * nt <= r * nt + nA * nv * r;
  if (stacked) {
    // M_a^T = Rt (T + a I)^-1 L^T, built in alpha batches that respect the memory cap
    const perAlpha = nv * nt;
    const batch = Math.max(1, Math.min(nA, Math.floor(maxDoubles / Math.max(1, perAlpha))));
    const Lt = transpose(L); // r x nv
    const batches: { a0: number; M: Matrix }[] = [];
    for (let a0 = 0; a0 < nA; a0 += batch) {
      const a1 = Math.min(nA, a0 + batch);
      const Z = new Float64Array(r * (a1 - a0) * nv);
      const w = (a1 - a0) * nv;
      for (let a = a0; a < a1; a++) {
        const Za: Matrix = { rows: r, cols: nv, data: Float64Array.from(Lt.data) };
        solveShifted(factors, Za, a);
        for (let i = 0; i < r; i++) Z.set(Za.data.subarray(i * nv, (i + 1) * nv), i * w + (a - a0) * nv);
      }
      // stored as (batch*nv) x nt so the per-block product needs no transpose (faster in every backend)
      batches.push({ a0, M: transpose(matmul(Rt, { rows: r, cols: w, data: Z })) });
    }
    return {
      tooSmall,
      scoreBlock(Yt, Yv, score, emit) {
        for (const { a0, M } of batches) {
          const P = matmul(M, Yt); // (batch*nv) x block
          const nb = M.rows / nv;
          for (let k = 0; k < nb; k++) emit(a0 + k, scoreColumns(score, Yv, P, k * nv));
        }
      },
    };
  }
  return {
    tooSmall,
    scoreBlock(Yt, Yv, score, emit) {
      const H = matmulAtB(Rt, Yt); // r x block
      for (let a = 0; a < nA; a++) {
        const Z: Matrix = { rows: r, cols: H.cols, data: Float64Array.from(H.data) };
        solveShifted(factors, Z, a);
        emit(a, scoreColumns(score, Yv, matmul(L, Z)));
      }
    },
  };
}

/** Training and validation kernels of a fold, centred with the training samples (KernelCenterer). */
function foldKernels(K: Matrix, train: Int32Array, validation: Int32Array, center: boolean): { Ktt: Matrix; Kvt: Matrix } {
  const n = K.rows;
  const nt = train.length;
  const nv = validation.length;
  const Ktt = new Float64Array(nt * nt);
  const Kvt = new Float64Array(nv * nt);
  for (let i = 0; i < nt; i++) {
    const src = train[i]! * n;
    for (let j = 0; j < nt; j++) Ktt[i * nt + j] = K.data[src + train[j]!]!;
  }
  for (let i = 0; i < nv; i++) {
    const src = validation[i]! * n;
    for (let j = 0; j < nt; j++) Kvt[i * nt + j] = K.data[src + train[j]!]!;
  }
  if (center) {
    const m = new Float64Array(nt); // column means of Ktt = row means (symmetric)
    for (let i = 0; i < nt; i++) for (let j = 0; j < nt; j++) m[j] += Ktt[i * nt + j]!;
    let g = 0;
    for (let j = 0; j < nt; j++) {
      m[j] /= nt;
      g += m[j]!;
    }
    g /= nt;
    for (let i = 0; i < nt; i++) for (let j = 0; j < nt; j++) Ktt[i * nt + j] = Ktt[i * nt + j]! - m[i]! - m[j]! + g;
    for (let i = 0; i < nv; i++) {
      let rm = 0;
      for (let j = 0; j < nt; j++) rm += Kvt[i * nt + j]!;
      rm /= nt;
      for (let j = 0; j < nt; j++) Kvt[i * nt + j] = Kvt[i * nt + j]! - rm - m[j]! + g;
    }
  }
  return { Ktt: { rows: nt, cols: nt, data: Ktt }, Kvt: { rows: nv, cols: nt, data: Kvt } };
}

/** Refit on all samples with each target's alpha: coef = Q (T + alpha_t I)^-1 Rt^T Y. */
function refit(solver: "dual" | "primal", Xc: Matrix, G: Matrix, targets: TargetSource, alphaGrid: Float64Array, chosen: Int32Array, center: boolean, block: number, onRefit: (b: RidgeRefitBlock) => void): void {
  const tri = tridiagonalize(G);
  const lambdaMin = negativeEigenvalueBound(tri);
  for (const a of new Set(chosen)) {
    if (alphaGrid[a]! + lambdaMin <= 0) {
      throw new UserError(`ridgeCV: alpha ${alphaGrid[a]} does not regularise the kernel (smallest eigenvalue ${lambdaMin}); use larger alphas`);
    }
  }
  const factors: ShiftedFactors = factorShifted(tri, alphaGrid);
  const Rt = solver === "dual" ? tri.Q : matmul(Xc, tri.Q); // n x r
  for (let start = 0; start < targets.nTargets; start += block) {
    const end = Math.min(targets.nTargets, start + block);
    const Y = targets.block(start, end);
    const Yc: Matrix = { rows: Y.rows, cols: Y.cols, data: Float64Array.from(Y.data) };
    const yMean = center ? colMeans(Yc) : new Float64Array(Y.cols);
    if (center) subtractRowVector(Yc, yMean);
    const Z = matmulAtB(Rt, Yc); // r x block
    solveShifted(factors, Z, chosen.subarray(start, end));
    onRefit({ start, end, coef: matmul(tri.Q, Z), yMean });
  }
}

/** Training and validation rows of a block of targets, minus the training means when centring. */
function splitTargets(src: TargetSource, start: number, end: number, split: Split, center: boolean, check: boolean): { Yt: Matrix; Yv: Matrix } {
  let Yt: Matrix;
  let Yv: Matrix;
  if (src.rowBlock) {
    Yt = src.rowBlock(split.train, start, end);
    Yv = src.rowBlock(split.validation, start, end);
    if (check) {
      checkFiniteRows(Yt, split.train, start);
      checkFiniteRows(Yv, split.validation, start);
    }
  } else {
    const Yb = src.block(start, end);
    if (check) assertFinite(Yb, `responses (targets ${start}..${end - 1})`);
    Yt = selectRows(Yb, split.train);
    Yv = selectRows(Yb, split.validation);
  }
  if (center) {
    const m = colMeans(Yt);
    subtractRowVector(Yt, m);
    subtractRowVector(Yv, m);
  }
  return { Yt, Yv };
}

/** Like assertFinite, naming the row and column of the full response matrix. */
function checkFiniteRows(m: Matrix, rows: Int32Array, col0: number): void {
  const k = m.data.findIndex((v) => !Number.isFinite(v));
  if (k < 0) return;
  const i = Math.floor(k / m.cols);
  throw new UserError(`the responses have a non-finite value (${m.data[k]}) at row ${rows[i]}, column ${col0 + k - i * m.cols}; remove or impute NaN/Inf entries first`);
}

function asMatrix(x: PatternsInput, name: string): Matrix {
  const p = toPatterns(x, undefined, name);
  return { rows: p.rows, cols: p.cols, data: p.data };
}

function subtractRowVector(m: Matrix, v: Float64Array): void {
  const { rows, cols, data } = m;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) data[o + j] = data[o + j]! - v[j]!;
  }
}

function checkAlphas(alphas: ArrayLike<number> | undefined): Float64Array {
  if (!alphas || alphas.length === 0) throw new UserError("ridgeCV: give alphas, a grid of positive penalties (e.g. 10^-2 .. 10^6)");
  const a = Float64Array.from(alphas);
  const bad = a.findIndex((v) => !(v > 0) || !Number.isFinite(v));
  if (bad >= 0) throw new UserError(`ridgeCV: alpha ${a[bad]} is not a positive finite number`);
  return a;
}

function checkFoldLabels(folds: ArrayLike<string | number>, n: number): ArrayLike<string | number> {
  if (folds.length !== n) throw new UserError(`ridgeCV: folds has ${folds.length} labels for ${n} samples; give one fold label per training sample`);
  return folds;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
