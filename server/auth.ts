/** Who may do what: a session token for a participant's own session, the admin token for everything else. */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { UserError } from "../common/errors.ts";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function bearerToken(req: Request): string | undefined {
  const header = req.get("authorization");
  const match = header && /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : undefined;
}

export function tokenMatchesHash(token: string | undefined, hash: string): boolean {
  return token !== undefined && sameSecret(hashToken(token), hash);
}

export function requireAdmin(adminToken: string) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = bearerToken(req) ?? (typeof req.query.token === "string" ? req.query.token : undefined);
    if (!token || !sameSecret(token, adminToken)) {
      throw new UserError("admin token missing or wrong: send it as 'Authorization: Bearer <token>' (printed by advsight serve)", 401);
    }
    next();
  };
}
