/** Node entry: everything in ./index.ts plus the file adapters and the onnxruntime GEMM backend. */
export * from "./index.ts";
export type { OrtGemmOptions } from "./linalg/gemm-ort-node.ts";
export { useOrtGemm, ortGemmBackend } from "./linalg/gemm-ort-node.ts";
export type { BetaFiles, MatrixFile } from "./fmri/fmri-file.ts";
export { loadBetaMaps, loadRoiMatrix, readNiftiFile } from "./fmri/fmri-file.ts";
export type { NpyTargets } from "./encoding/npy-targets-file.ts";
export { npyTargetSource } from "./encoding/npy-targets-file.ts";
export { loadBehaviourExport, loadBehaviourDatabase } from "./behaviour/behaviour-file-node.ts";
export { readConfig, loadInputs } from "./workflow/inputs-node.ts";
export { analyseConfigFile, writeResults } from "./workflow/run-node.ts";
export { writeDemoDataset, syntheticModelFile } from "./workflow/demo-node.ts";
export type { GlmJob, GlmRunFiles, GlmOutputs } from "./glm/run-glm-node.ts";
export { runGlmJob } from "./glm/run-glm-node.ts";
export type { BoldDemo, BoldDemoOptions } from "./glm/demo-bold-node.ts";
export { writeBoldDemo, demoEvents } from "./glm/demo-bold-node.ts";
