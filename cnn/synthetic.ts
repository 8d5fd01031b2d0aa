/**
 * Synthetic-weight AlexNets of the full architecture, in the two topologies users bring: the ONNX zoo's
 * bvlcalexnet (Caffe: grouped convolutions, LRN, fixed batch 1, Reshape to [1, 9216], softmax output,
 * opset 12) and torchvision's export (opset 14, Flatten, logits output). Weights are deterministic in
 * (arch, seed) and scaled He-style so activations neither vanish nor explode for that topology's
 * preprocessed input. Isomorphic: returns the .onnx bytes.
 *
 * `width` divides every layer's channel and fc-unit count (conv1..fc7; fc8 keeps the 1000 ImageNet
 * classes) and keeps the topology: the same op sequence and tensor names, a 3x224x224 input, so layers
 * are found and preprocessed as in the full network. Such a net runs tens of times faster; the tests use
 * it wherever full size proves nothing more. Width 1 (the default) gives the full network, byte for byte
 * what this generator always wrote.
 */
import { UserError } from "../common/errors.ts";
import { floatTensor, floatValueInfo, int64Tensor, node } from "./onnx/build.ts";
import { encodeModel, type ModelProto, type NodeProto, type TensorProto } from "./onnx/proto.ts";

export type SyntheticArch = "caffe" | "torchvision";
export const SYNTHETIC_ARCHS: readonly SyntheticArch[] = ["caffe", "torchvision"];
export const SYNTHETIC_GENERATOR = "advsight synthetic AlexNet v1";

/** Channel divisors a synthetic AlexNet may have (each divides every layer's width, also per group). */
export const SYNTHETIC_WIDTHS = [1, 2, 4, 8] as const;

/** e.g. alexnet-synth-torchvision-s1 (full size) or alexnet-synth-torchvision-w8-s1 (channels / 8). */
export function syntheticModelId(arch: SyntheticArch, seed: number, width = 1): string {
  return `alexnet-synth-${arch}${width === 1 ? "" : `-w${width}`}-s${seed}`;
}

/** sfc32: small, fast and good enough for weights; one stream per tensor so order does not matter. */
function sfc32(seed: number, salt: string) {
  let h = 1779033703 ^ salt.length;
  for (let i = 0; i < salt.length; i++) {
    h = Math.imul(h ^ salt.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = seed >>> 0, b = h >>> 0, c = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0, d = 1;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/**
 * Uniform weights with the given standard deviation (uniform on [-a, a] has sd a/sqrt(3)), each output
 * unit's weights centred to sum to zero: inputs after a ReLU are all positive, and without centring
 * their common mode would dominate (every image would get the same top class).
 */
function uniformWeights(seed: number, name: string, units: number, n: number, sd: number): Float32Array {
  const next = sfc32(seed, name);
  const a = sd * Math.sqrt(3);
  const out = new Float32Array(n);
  const fanIn = n / units;
  for (let u = 0; u < units; u++) {
    let sum = 0;
    for (let i = u * fanIn; i < (u + 1) * fanIn; i++) sum += out[i] = (2 * next() - 1) * a;
    const mean = sum / fanIn;
    for (let i = u * fanIn; i < (u + 1) * fanIn; i++) out[i] -= mean;
  }
  return out;
}

interface ConvSpec {
  out: number;
  in: number;
  k: number;
  stride: number;
  pad: number;
  group: number;
}

interface ArchSpec {
  opset: number;
  input: string;
  output: string;
  convs: ConvSpec[];
  fc: [number, number][];
  /** typical RMS of a preprocessed pixel, so conv1 is scaled to the input */
  inputRms: number;
  /** target RMS of conv1's output: Caffe AlexNet's conv1 responses are in the tens, torchvision's near 1 */
  conv1Rms: number;
  /** RMS of the logits given the RMS of fc7 */
  logitRms: number;
}

const ARCHS: Record<SyntheticArch, ArchSpec> = {
  caffe: {
    opset: 12,
    input: "data_0",
    output: "prob_1",
    convs: [
      { out: 96, in: 3, k: 11, stride: 4, pad: 0, group: 1 },
      { out: 256, in: 96, k: 5, stride: 1, pad: 2, group: 2 },
      { out: 384, in: 256, k: 3, stride: 1, pad: 1, group: 1 },
      { out: 384, in: 384, k: 3, stride: 1, pad: 1, group: 2 },
      { out: 256, in: 384, k: 3, stride: 1, pad: 1, group: 2 },
    ],
    fc: [[9216, 4096], [4096, 4096], [4096, 1000]],
    inputRms: 60,
    conv1Rms: 30,
    logitRms: 3,
  },
  torchvision: {
    opset: 14,
    input: "input",
    output: "logits",
    convs: [
      { out: 64, in: 3, k: 11, stride: 4, pad: 2, group: 1 },
      { out: 192, in: 64, k: 5, stride: 1, pad: 2, group: 1 },
      { out: 384, in: 192, k: 3, stride: 1, pad: 1, group: 1 },
      { out: 256, in: 384, k: 3, stride: 1, pad: 1, group: 1 },
      { out: 256, in: 256, k: 3, stride: 1, pad: 1, group: 1 },
    ],
    fc: [[9216, 4096], [4096, 4096], [4096, 1000]],
    inputRms: 1,
    conv1Rms: 1.5,
    logitRms: 3,
  },
};

export interface SyntheticOptions {
  arch: SyntheticArch;
  seed: number;
  /** divisor of the channel and fc-unit counts (see SYNTHETIC_WIDTHS); 1 = full size */
  width?: number;
}

/** The architecture with every width divided by `width`, except the classifier's 1000 outputs. */
function narrowed(full: ArchSpec, width: number): ArchSpec {
  const convs = full.convs.map((c, i) => ({ ...c, out: c.out / width, in: i === 0 ? c.in : c.in / width }));
  const fc = full.fc.map(([fanIn, out], j): [number, number] => [fanIn / width, j === full.fc.length - 1 ? out : out / width]);
  return { ...full, convs, fc };
}

export function makeSyntheticAlexNet({ arch, seed, width = 1 }: SyntheticOptions): Uint8Array {
  const full = ARCHS[arch];
  if (!full) throw new UserError(`--arch must be one of ${SYNTHETIC_ARCHS.join(", ")}, got "${arch}"`);
  if (!Number.isInteger(seed) || seed < 0) throw new UserError(`--seed must be a non-negative integer, got ${seed}`);
  if (!(SYNTHETIC_WIDTHS as readonly number[]).includes(width)) throw new UserError(`--width must be one of ${SYNTHETIC_WIDTHS.join(", ")}, got ${width}`);
  const spec = narrowed(full, width);
  const id = syntheticModelId(arch, seed, width);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const caffe = arch === "caffe";
  const weight = (name: string, dims: number[], sd: number) => {
    inits.push(floatTensor(name, dims, uniformWeights(seed, name, dims[0]!, dims.reduce((a, b) => a * b, 1), sd)));
    return name;
  };
  const bias = (name: string, n: number) => {
    inits.push(floatTensor(name, [n], new Float32Array(n)));
    return name;
  };
  const maxPool = (x: string, y: string) =>
    // Caffe pools in ceil mode; the zoo's conversion spells that as one extra pixel of end padding
    node("MaxPool", [x], [y], { kernel_shape: [3, 3], strides: [2, 2], ...(caffe ? { pads: [0, 0, 1, 1] } : {}) });

  let x = spec.input;
  for (const [i, c] of spec.convs.entries()) {
    const k = i + 1;
    const fanIn = (c.in / c.group) * c.k * c.k;
    // conv1 maps the preprocessed image to conv1Rms; later layers are He-scaled (variance kept through ReLU)
    const sd = i === 0 ? spec.conv1Rms / (spec.inputRms * Math.sqrt(fanIn)) : Math.sqrt(2 / fanIn);
    const pre = caffe ? `conv${k}_1` : `/features/conv${k}/Conv_output_0`;
    const post = caffe ? `conv${k}_2` : `/features/relu${k}/Relu_output_0`;
    const w = weight(caffe ? `conv${k}_w_0` : `features.conv${k}.weight`, [c.out, c.in / c.group, c.k, c.k], sd);
    const b = bias(caffe ? `conv${k}_b_0` : `features.conv${k}.bias`, c.out);
    const pads = [c.pad, c.pad, c.pad, c.pad];
    nodes.push(node("Conv", [x, w, b], [pre], { kernel_shape: [c.k, c.k], strides: [c.stride, c.stride], pads, dilations: [1, 1], group: c.group }));
    nodes.push(node("Relu", [pre], [post]));
    x = post;
    if (caffe && k <= 2) {
      nodes.push(node("LRN", [x], [`norm${k}_1`], { size: 5, alpha: { float: 1e-4 }, beta: { float: 0.75 }, bias: { float: 1 } }));
      x = `norm${k}_1`;
    }
    if (k === 1 || k === 2 || k === 5) {
      const y = caffe ? `pool${k}_1` : `/features/pool${k}/MaxPool_output_0`;
      nodes.push(maxPool(x, y));
      x = y;
    }
  }
  if (caffe) {
    inits.push(int64Tensor("OC2_DUMMY_1", [2], [1, spec.fc[0]![0]]));
    nodes.push(node("Reshape", [x, "OC2_DUMMY_1"], ["OC2_DUMMY_0"]));
    x = "OC2_DUMMY_0";
  } else {
    // what torch exports for AdaptiveAvgPool2d((6, 6)) on a 6x6 map, then torch.flatten(x, 1)
    nodes.push(node("AveragePool", [x], ["/avgpool/AveragePool_output_0"], { kernel_shape: [1, 1], strides: [1, 1] }));
    nodes.push(node("Flatten", ["/avgpool/AveragePool_output_0"], ["/Flatten_output_0"], { axis: 1 }));
    x = "/Flatten_output_0";
  }
  for (const [j, [fanIn, out]] of spec.fc.entries()) {
    const k = 6 + j;
    const last = j === spec.fc.length - 1;
    // fc8 turns fc7 into logits of RMS logitRms; with centred He-scaled weights fc7 ends up at about
    // half conv1's RMS
    const sd = last ? spec.logitRms / (0.5 * spec.conv1Rms * Math.sqrt(fanIn)) : Math.sqrt(2 / fanIn);
    const w = weight(caffe ? `fc${k}_w_0` : `classifier.fc${k}.weight`, [out, fanIn], sd);
    const b = bias(caffe ? `fc${k}_b_0` : `classifier.fc${k}.bias`, out);
    const y = caffe ? `fc${k}_1` : last ? spec.output : `/classifier/fc${k}/Gemm_output_0`;
    nodes.push(node("Gemm", [x, w, b], [y], { alpha: { float: 1 }, beta: { float: 1 }, transB: 1 }));
    x = y;
    if (!last) {
      const r = caffe ? `fc${k}_2` : `/classifier/relu${k}/Relu_output_0`;
      nodes.push(node("Relu", [x], [r]));
      x = r;
      if (caffe) {
        nodes.push(node("Dropout", [x], [`fc${k}_3`, `_fc${k}_mask_1`]));
        x = `fc${k}_3`;
      }
    }
  }
  if (caffe) nodes.push(node("Softmax", [x], [spec.output], { axis: 1 }));

  const model: ModelProto = {
    irVersion: 7,
    opsetImport: [{ domain: "", version: spec.opset }],
    producerName: "advsight",
    producerVersion: SYNTHETIC_GENERATOR,
    docString: `Synthetic-weight AlexNet (${arch} topology, ${width === 1 ? "" : `channels / ${width}, `}seed ${seed}): architecture only, not a trained network.`,
    graph: {
      name: id,
      node: nodes,
      initializer: inits,
      input: [floatValueInfo(spec.input, [1, 3, 224, 224])],
      output: [floatValueInfo(spec.output, [1, 1000])],
    },
    metadataProps: [
      { key: "advsight.synthetic", value: "true" },
      { key: "advsight.model_id", value: id },
      { key: "advsight.arch", value: arch },
      { key: "advsight.profile", value: arch },
      { key: "advsight.seed", value: String(seed) },
      { key: "advsight.generator", value: SYNTHETIC_GENERATOR },
      // only on reduced-width nets: the full-size bytes (and so the cached files' hashes) stay as they were
      ...(width === 1 ? [] : [{ key: "advsight.width", value: String(width) }]),
    ],
  };
  return encodeModel(model);
}
