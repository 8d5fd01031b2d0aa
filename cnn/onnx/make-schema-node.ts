// Regenerates onnx-schema.json (protobufjs JSON descriptor) from onnx.proto:
//   npx tsx cnn/onnx/make-schema-node.ts
// The descriptor is committed so that the browser bundle needs no .proto parser.
import { writeFileAtomic } from "../../common/atomic-write-node.ts";
import protobuf from "protobufjs";

const here = new URL(".", import.meta.url).pathname;

/** The descriptor as JSON text, exactly as committed. */
export function onnxSchemaJson(): string {
  const root = protobuf.loadSync(`${here}onnx.proto`);
  return `${JSON.stringify(root.toJSON(), null, 1)}\n`;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  writeFileAtomic(`${here}onnx-schema.json`, onnxSchemaJson());
  console.log(`wrote ${here}onnx-schema.json`);
}
