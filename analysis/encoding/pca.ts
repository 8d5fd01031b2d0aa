/**
 * PCA of CNN-layer features before ridge (optional): the centred features are projected on the leading
 * principal axes, found from whichever of X^T X (features x features) and X X^T (samples x samples) is
 * smaller, with ml-matrix's symmetric eigendecomposition. Fit on the training images only, then applied
 * to every test set. Axis signs are fixed (largest loading positive) so results replay.
 */
import { EigenvalueDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { UserError } from "../../common/errors.ts";
import { gram, matmulABt, matmulAtB } from "../linalg/gemm.ts";
import { assertFinite, centerCols, colMeans, type Matrix } from "../linalg/matrix.ts";

export interface Pca {
  mean: Float64Array;
  /** k x features, orthonormal rows */
  components: Matrix;
  /** variance along each component (n - 1 normalisation) */
  explainedVariance: Float64Array;
  explainedVarianceRatio: Float64Array;
  transform(X: Matrix): Matrix;
}

/** nComponents: a count, or a fraction in (0, 1) of the variance to keep. */
export function fitPca(X: Matrix, nComponents: number): Pca {
  assertFinite(X, "PCA features");
  const n = X.rows;
  const p = X.cols;
  if (n < 2) throw new UserError(`PCA needs at least 2 samples, got ${n}`);
  const mean = colMeans(X);
  const Xc = centerCols(X, mean);
  const useGram = p > n;
  const S = useGram ? gram(Xc) : matmulAtB(Xc, Xc);
  const m = S.rows;
  const ml = new MlMatrix(m, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) ml.set(i, j, S.data[i * m + j]!);
  const evd = new EigenvalueDecomposition(ml, { assumeSymmetric: true });
  const values = evd.realEigenvalues; // ascending
  const vectors = evd.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const rank = order.filter((i) => values[i]! > 1e-12 * Math.max(1e-300, values[order[0]!]!)).length;
  let k: number;
  if (nComponents > 0 && nComponents < 1) {
    let acc = 0;
    k = 0;
    while (k < rank && acc < nComponents * total) acc += values[order[k++]!]!;
  } else if (Number.isInteger(nComponents) && nComponents >= 1) {
    if (nComponents > rank) throw new UserError(`PCA: asked for ${nComponents} components but the features have rank ${rank} (${n} samples, ${p} features)`);
    k = nComponents;
  } else {
    throw new UserError(`PCA: nComponents must be a positive integer or a fraction in (0, 1), got ${nComponents}`);
  }
  const comps = new Float64Array(k * p);
  const variance = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const idx = order[c]!;
    const lambda = values[idx]!;
    variance[c] = lambda / (n - 1);
    if (useGram) {
      // axis = X^T u / sqrt(lambda)
      const inv = 1 / Math.sqrt(lambda);
      for (let i = 0; i < n; i++) {
        const u = vectors.get(i, idx) * inv;
        if (u === 0) continue;
        for (let j = 0; j < p; j++) comps[c * p + j] += Xc.data[i * p + j]! * u;
      }
    } else {
      for (let j = 0; j < p; j++) comps[c * p + j] = vectors.get(j, idx);
    }
    let big = 0;
    for (let j = 0; j < p; j++) if (Math.abs(comps[c * p + j]!) > Math.abs(big)) big = comps[c * p + j]!;
    if (big < 0) for (let j = 0; j < p; j++) comps[c * p + j] = -comps[c * p + j]!;
  }
  const components: Matrix = { rows: k, cols: p, data: comps };
  return {
    mean,
    components,
    explainedVariance: variance,
    explainedVarianceRatio: variance.map((v) => (v * (n - 1)) / total),
    transform(Xnew: Matrix): Matrix {
      if (Xnew.cols !== p) throw new UserError(`PCA transform: ${Xnew.cols} features, fitted on ${p}`);
      return matmulABt(centerCols(Xnew, mean), components);
    },
  };
}
