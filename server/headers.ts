/** Response headers for every page and answer (helmet), and no caching of anything carrying tokens or data. */
import type { NextFunction, Request, Response } from "express";
import helmet from "helmet";

export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        // no inline script on any page; onnxruntime-web compiles its WebAssembly
        "script-src": ["'self'", "'wasm-unsafe-eval'"],
        // jsPsych and the plugins size elements with style attributes
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        // jsPsych's stylesheet embeds its font
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
      },
    },
    // cross-origin isolation: onnxruntime-web may then run its wasm on several threads (SharedArrayBuffer)
    crossOriginEmbedderPolicy: { policy: "require-corp" },
    referrerPolicy: { policy: "no-referrer" },
    // HTTPS belongs to the reverse proxy in front (docs/api.md), which sets HSTS for its own domain
    strictTransportSecurity: false,
  });
}

/** Cache-Control: no-store, for the API and the console (tokens, participant data). */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.set("Cache-Control", "no-store");
  next();
}
