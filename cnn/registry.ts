/** Models advsight knows how to fetch (isomorphic data; the downloader is registry-fetch-node.ts). */
import type { ProfileName } from "./preprocess.ts";

export interface KnownModel {
  id: string;
  file: string;
  /** tried in order */
  urls: string[];
  sha256: string;
  bytes: number;
  profile: ProfileName;
  source: string;
}

export const KNOWN_MODELS: Record<string, KnownModel> = {
  "alexnet-bvlc": {
    id: "alexnet-bvlc",
    file: "bvlcalexnet-12.onnx",
    urls: [
      "https://github.com/onnx/models/raw/main/validated/vision/classification/alexnet/model/bvlcalexnet-12.onnx",
      "https://media.githubusercontent.com/media/onnx/models/main/validated/vision/classification/alexnet/model/bvlcalexnet-12.onnx",
    ],
    // the git-lfs object id of the zoo's file
    sha256: "6b0da9510f27f234ee96a85dc3809dd210150fdefad87f6850f9788513216945",
    bytes: 243863787,
    profile: "caffe",
    source: "ONNX model zoo, BVLC AlexNet (Caffe -> Caffe2 -> ONNX, opset 12); BSD-3-Clause",
  },
};

export const DEFAULT_MODELS_DIR = ".cache/models";
