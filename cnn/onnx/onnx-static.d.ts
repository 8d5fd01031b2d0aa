// The part of the generated onnx-static.js that proto.ts uses (its shapes are proto.ts's interfaces).
export declare const onnx: {
  ModelProto: {
    decode(bytes: Uint8Array): unknown;
    encode(message: unknown): { finish(): Uint8Array };
  };
};
