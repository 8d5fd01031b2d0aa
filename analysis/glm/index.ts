/** The GLM (isomorphic): design matrices, fits and contrasts, single-image estimates, the library/ridge steps, simulation. */
export type { HrfModel, KernelGrid } from "./hrf.ts";
export { HRF_MODELS, parseHrfModel, hrfKernels, spmHrf, gloverHrf, spmTimeDerivative, gloverTimeDerivative, spmDispersionDerivative, gloverDispersionDerivative } from "./hrf.ts";
export type { DriftModel, DriftOptions } from "./drift.ts";
export { DRIFT_MODELS, parseDriftModel, driftColumns } from "./drift.ts";
export type { GlmEvent, DesignOptions, DesignMatrix } from "./design-matrix.ts";
export { makeDesignMatrix, frameTimes, dependentColumns } from "./design-matrix.ts";
export type { NoiseModel, GlmFit, GlmFitOptions, TContrast, FContrast } from "./fit.ts";
export { NOISE_MODELS, fitGlm, tContrast, fContrast, meanScaling, ar1Coefficients, whitenAr1 } from "./fit.ts";
export type { TrialEvent, TrialLabel, SingleTrialModel, SingleTrialOptions, SingleTrialPlan, SingleTrialBetas } from "./single-trial.ts";
export { singleTrialBetas, planSingleTrial, estimateSingleTrial } from "./single-trial.ts";
export type { RefineRun, RefineOptions, RefineStage, Refined } from "./library-ridge.ts";
export { refineBetas, splitHalfReliability, DEFAULT_SHIFTS, DEFAULT_FRACTIONS } from "./library-ridge.ts";
export type { Confounds, EventsOptions } from "./tables.ts";
export { parseEventsTsv, parseConfoundsTsv } from "./tables.ts";
export type { BoldSimulationSpec, SimulatedRun } from "./simulate-bold.ts";
export { simulateBoldRun, DEFAULT_BOLD_SIMULATION, MOTION_COLUMNS } from "./simulate-bold.ts";
export type { GlmReport, RunSummary, StageSummary } from "./report.ts";
export { glmReportHtml, designMatrixSvg } from "./report.ts";
