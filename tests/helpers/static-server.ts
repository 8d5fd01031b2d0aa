/** A tiny static file server for browser tests of pages that are not advsight's own (URL path -> file or text). */
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import type { AddressInfo } from "node:net";

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".map": "application/json", ".wasm": "application/wasm" };

/** The headers advsight serve sends (server/headers.ts) that make its pages cross-origin isolated: wasm threads. */
export const ISOLATION_HEADERS = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

export type Route = { file: string } | { text: string; type: string };

/** `headers`: sent with every answer (e.g. ISOLATION_HEADERS). */
export async function serveStatic(routes: Record<string, Route>, headers: Record<string, string> = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? "/", "http://x").pathname];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    const [body, type] = "file" in route ? [readFileSync(route.file), TYPES[extname(route.file)] ?? "application/octet-stream"] : [route.text, route.type];
    res.writeHead(200, { ...headers, "content-type": type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
