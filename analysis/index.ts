/**
 * advsight analysis library (isomorphic: Node and browser). The four entry points of issue 6 are
 * computeRdm, compareRdms, noiseCeiling and ridgeCV; the rest are the pieces an analysis is built from.
 * Node-only adapters (files, onnxruntime GEMM) are in ./node.ts. See docs/analysis.md.
 */
// arrays
export type { Matrix } from "./linalg/matrix.ts";
export { matrix, fromRows, toRows, zeros, transpose, selectRows } from "./linalg/matrix.ts";
export type { Patterns, PatternsInput } from "./data/patterns.ts";
export { toPatterns, averageBy, selectIds, groupRows } from "./data/patterns.ts";
export type { GemmBackend } from "./linalg/gemm.ts";
export { matmul, matmulABt, matmulAtB, setGemmBackend, getGemmBackend, tsGemm } from "./linalg/gemm.ts";

// RSA
export { Rdm, nConditions, pairIndex, toSquare, fromSquare, selectConditions } from "./rsa/rdm.ts";
export type { RdmMethod, RdmOptions, NoiseSpec } from "./rsa/calc.ts";
export { computeRdm, RDM_METHOD_NAMES } from "./rsa/calc.ts";
export type { ComparisonMethod, CompareOptions } from "./rsa/compare.ts";
export { compareRdms, COMPARISON_METHOD_NAMES } from "./rsa/compare.ts";
export type { SigmaK } from "./rsa/cov-weighting.ts";
export type { NoiseCeiling } from "./rsa/noise-ceiling.ts";
export { noiseCeiling, poolRdms } from "./rsa/noise-ceiling.ts";
export type { CovarianceMethod, CovarianceOptions } from "./rsa/noise.ts";
export { COVARIANCE_METHODS, covarianceFromResiduals, precisionFromResiduals, precisionFromCovariance, residualsFromRepeats } from "./rsa/noise.ts";
export { tauA, tauB } from "./rsa/kendall.ts";
export type { ModelEvaluation, BootstrapEvaluation, BootstrapOver } from "./rsa/inference.ts";
export { evaluateModel, bootstrapEvaluation, rdmPermutationTest } from "./rsa/inference.ts";
export type { StimulusPair, PatternSimilarity, PairAnalysisOptions, PairAnalysisResult } from "./rsa/pair-analysis.ts";
export { pairAnalysis, pairSimilarity, pairsFromItems, PATTERN_SIMILARITIES } from "./rsa/pair-analysis.ts";

// statistics
export { averageRanks } from "./stats/ranks.ts";
export { pearson } from "./stats/correlation.ts";
export { fdrBh, fdrFamily } from "./stats/fdr.ts";
export type { BootstrapSummary, PermutationResult, ResampleOptions } from "./stats/resample.ts";
export { bootstrap, permutationTest, percentileInterval } from "./stats/resample.ts";

// encoding
export type { RidgeCVOptions, RidgeCVResult, RidgeCVFit, RidgeRefitBlock, TargetSource } from "./encoding/ridge-cv.ts";
export { ridgeCV, ridgeCVBlocks, matrixSource } from "./encoding/ridge-cv.ts";
export type { Split } from "./encoding/folds.ts";
export { kFold, foldsFromLabels } from "./encoding/folds.ts";
export type { ScoreName } from "./encoding/scores.ts";
export { SCORES, scoreColumns, predictionScores } from "./encoding/scores.ts";
export type { Pca } from "./encoding/pca.ts";
export { fitPca } from "./encoding/pca.ts";
export type { EncodingScores, PermutationNull, NoiseCeilingEstimate } from "./encoding/evaluate.ts";
export { permutationNull, noiseCeilingFromRepeats, normalizeByCeiling } from "./encoding/evaluate.ts";

// fMRI inputs (bytes and strings; files in ./node.ts)
export type { NiftiImage, NiftiDatatype, NiftiSeries } from "./fmri/nifti.ts";
export { readNifti, readNiftiSeries, writeNifti1 } from "./fmri/nifti.ts";
export type { BetaMaps } from "./fmri/roi.ts";
export { roiPatterns, maskIndices } from "./fmri/roi.ts";
export { parseIds, parseMatrixTsv, labelRows } from "./fmri/tables.ts";

// the GLM: BOLD runs and their events to per-image responses
export * from "./glm/index.ts";

// behaviour
export * from "./behaviour/index.ts";

// the analysis workflow (config -> results -> report)
export type { AnalysisConfig, AnalysisSettings, FmriInput } from "./workflow/config.ts";
export { parseConfig, parseSettings } from "./workflow/config.ts";
export type { AnalysisInputs, FmriData } from "./workflow/inputs.ts";
export type { StimulusFeatures } from "./workflow/features.ts";
export { extractFeatures } from "./workflow/features.ts";
export type { AnalysisResults, Progress } from "./workflow/pipeline.ts";
export { runAnalysis } from "./workflow/pipeline.ts";
export { resultFiles } from "./workflow/results-files.ts";
export type { FmriSimulationSpec, BehaviourSimulationSpec, SimulatedRoi } from "./workflow/simulate.ts";
export { simulateFmri, simulateBehaviour, DEFAULT_FMRI_SIMULATION, DEFAULT_BEHAVIOUR_SIMULATION } from "./workflow/simulate.ts";
export { renderReport } from "./report/report-html.ts";
