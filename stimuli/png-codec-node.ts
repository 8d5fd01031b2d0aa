/** Node-only: the generator's PNG codec (pngjs). */
import { decodePng, encodePng } from "../common/png-node.ts";
import type { ImageCodec } from "./generate/generate.ts";

export const nodePngCodec: ImageCodec = {
  async encode(rgba, { height, width }) {
    return new Uint8Array(encodePng({ width, height, rgba }));
  },
  async decode(bytes, name) {
    return decodePng(bytes, name);
  },
};
