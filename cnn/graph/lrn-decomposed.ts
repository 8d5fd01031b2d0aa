/**
 * ONNX LRN written with faster ops. onnxruntime's LRN kernel takes about 45% of the Caffe AlexNet's
 * forward pass; the same function as
 *
 *   S = Conv(x * x, band, bias)        band[o, i] = alpha / size where channel i is in o's window
 *   y = x / S^beta                     S^beta by Sqrt for beta 0.75 and 0.5, else Pow
 *
 * is a matrix product over channels (the 1x1 Conv) plus elementwise ops. The window is ONNX's:
 * channels o - floor((size-1)/2) ... o + ceil((size-1)/2). Equal to the LRN op to float32 rounding.
 */
import { floatAttr, floatTensor, intAttr, node } from "../onnx/build.ts";
import type { NodeProto, TensorProto } from "../onnx/proto.ts";

/** How LRN runs: "decomposed" (the ops above, the default) or "onnx" (the LRN op itself). */
export type LrnForm = "decomposed" | "onnx";
export const LRN_FORMS: readonly LrnForm[] = ["decomposed", "onnx"];

/** What a layer listing says about each form. */
export const LRN_FORM_NOTE: Record<LrnForm, string> = {
  decomposed: "LRN (norm layers) runs decomposed: a channel-band 1x1 Conv of the squares, then Pow (equal to the LRN op to float32 rounding, faster)",
  onnx: "LRN (norm layers) runs as the ONNX LRN op",
};

export interface LrnParameters {
  size: number;
  alpha: number;
  beta: number;
  bias: number;
}

export function lrnParameters(n: NodeProto): LrnParameters {
  return { size: intAttr(n, "size", 0), alpha: floatAttr(n, "alpha", 1e-4), beta: floatAttr(n, "beta", 0.75), bias: floatAttr(n, "bias", 1) };
}

/** [C, C, 1, 1] weights: out[o] = scale * sum of in[i] over o's window (or, transposed, over i with o in i's window). */
export function bandWeights(channels: number, size: number, scale: number, transposed = false): Float32Array {
  const lo = Math.floor((size - 1) / 2);
  const hi = Math.ceil((size - 1) / 2);
  const w = new Float32Array(channels * channels);
  for (let o = 0; o < channels; o++) {
    for (let i = Math.max(0, o - lo); i <= Math.min(channels - 1, o + hi); i++) {
      if (transposed) w[i * channels + o] = scale;
      else w[o * channels + i] = scale;
    }
  }
  return w;
}

export interface DecomposedLrn {
  nodes: NodeProto[];
  initializers: TensorProto[];
  /** S = bias + alpha/size * window sum of squares */
  denominator: string;
  /** S^beta (y = x / S^beta) */
  power: string;
}

/**
 * The nodes computing LRN node `n`'s output (same output name) for `channels` channels; `fresh(hint)`
 * gives unused tensor names. S^beta by square roots where beta allows (0.75 in every AlexNet, 0.5, 1):
 * onnxruntime's Pow costs as much as the window sum, Sqrt a fraction, both correctly rounded or nearly.
 */
export function decomposeLrn(n: NodeProto, channels: number, fresh: (hint: string) => string): DecomposedLrn {
  const { size, alpha, beta, bias } = lrnParameters(n);
  const x = n.input[0]!;
  const base = n.name || n.output[0]!;
  const weights = fresh("lrn_band");
  const biases = fresh("lrn_bias");
  const squares = fresh("lrn_squares");
  const denominator = fresh("lrn_denominator");
  const initializers = [
    floatTensor(weights, [channels, channels, 1, 1], bandWeights(channels, size, alpha / size)),
    floatTensor(biases, [channels], new Float32Array(channels).fill(bias)),
  ];
  const nodes = [
    node("Mul", [x, x], [squares], {}, `${base}/squares`),
    node("Conv", [squares, weights, biases], [denominator], { kernel_shape: [1, 1] }, `${base}/window_sum`),
  ];
  let power: string;
  const f32 = Math.fround(beta);
  if (f32 === 1) power = denominator;
  else if (f32 === 0.5 || f32 === 0.75) {
    const root = fresh("lrn_sqrt");
    nodes.push(node("Sqrt", [denominator], [root], {}, `${base}/sqrt`));
    if (f32 === 0.5) power = root;
    else {
      const fourth = fresh("lrn_fourth_root");
      power = fresh("lrn_power");
      nodes.push(node("Sqrt", [root], [fourth], {}, `${base}/fourth_root`), node("Mul", [root, fourth], [power], {}, `${base}/power`));
    }
  } else {
    const exponent = fresh("lrn_beta");
    power = fresh("lrn_power");
    initializers.push(floatTensor(exponent, [], [beta]));
    nodes.push(node("Pow", [denominator, exponent], [power], {}, `${base}/power`));
  }
  nodes.push(node("Div", [x, power], [n.output[0]!], {}, `${base}/divide`));
  return { nodes, initializers, denominator, power };
}
