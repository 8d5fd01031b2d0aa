/**
 * Who may do what: a session token for a participant's own session; the admin token for everything
 * else. The admin token never travels in a URL: scripts send it as a bearer header, the console page
 * exchanges it once for an HttpOnly, SameSite=Strict cookie. Every comparison takes constant time, and
 * an address that keeps failing is told to wait (429 with Retry-After) before it may try again.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { NextFunction, Request, Response } from "express";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { memoryLimiters } from "./rate-limits.ts";
import { UserError } from "../common/errors.ts";

/** Shorter admin tokens are refused at start: 16 characters of base64 resist guessing at any rate this server allows. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;
export const ADMIN_COOKIE = "advsight_admin";
const COOKIE_HOURS = 12;

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Constant-time equality of two secrets (of any lengths: both are hashed first). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

export function bearerToken(req: Request): string | undefined {
  const header = req.get("authorization");
  const match = header && /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : undefined;
}

export function tokenMatchesHash(token: string | undefined, hash: string): boolean {
  return token !== undefined && sameSecret(hashToken(token), hash);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface AuthLimits {
  /** failed token checks an address may make per window before it must wait */
  failedAttempts: number;
  windowSeconds: number;
}
export const DEFAULT_AUTH_LIMITS: AuthLimits = { failedAttempts: 30, windowSeconds: 15 * 60 };

/**
 * Counts failed token checks per address (HTTP and sockets alike), in this process, also beside other
 * instances (why: server/rate-limits.ts).
 */
export class FailedAttempts {
  private readonly limiter: RateLimiterAbstract;
  constructor(readonly limits: AuthLimits = DEFAULT_AUTH_LIMITS) {
    this.limiter = memoryLimiters({ keyPrefix: "failed-auth", points: limits.failedAttempts, duration: limits.windowSeconds });
  }

  /** Seconds the address must still wait, or 0 when it may try. */
  async waitSeconds(address: string): Promise<number> {
    const state = await this.limiter.get(address);
    return state && state.remainingPoints <= 0 ? Math.max(1, Math.ceil(state.msBeforeNext / 1000)) : 0;
  }

  async failed(address: string): Promise<void> {
    await this.limiter.penalty(address, 1);
  }

  /** Throws 429 (with Retry-After) when the request's address failed too often. */
  async refuseIfBlocked(req: Request, res: Response): Promise<void> {
    const wait = await this.waitSeconds(req.ip ?? "");
    if (wait > 0) {
      res.set("Retry-After", String(wait));
      throw new UserError(`too many failed token checks from this address; try again in ${wait} s`, 429);
    }
  }
}

/** The admin token and the cookie made from it: `<expiry ms>.<HMAC(token, expiry)>`, so any instance sharing the token can check it. */
export class AdminAuth {
  constructor(
    private readonly token: string,
    readonly attempts: FailedAttempts,
  ) {
    if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new UserError(`the admin token must have at least ${MIN_ADMIN_TOKEN_LENGTH} characters (it has ${token.length}); leave --admin-token out to have one made`);
    }
  }

  private sign(expiry: number): string {
    return createHmac("sha256", this.token).update(`advsight admin cookie ${expiry}`).digest("base64url");
  }

  cookieFor(now = Date.now()): { value: string; maxAgeMs: number } {
    const expiry = now + COOKIE_HOURS * 3600_000;
    return { value: `${expiry}.${this.sign(expiry)}`, maxAgeMs: COOKIE_HOURS * 3600_000 };
  }

  private cookieValid(value: string | undefined, now = Date.now()): boolean {
    const match = value ? /^(\d{13,})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
    return !!match && Number(match[1]) > now && sameSecret(match[2]!, this.sign(Number(match[1])));
  }

  /** A request or socket handshake from the admin: the bearer token, or the console's cookie. */
  isAdmin(headers: IncomingMessage["headers"], authToken?: unknown): boolean {
    const bearer = /^Bearer\s+(\S+)$/i.exec(String(headers.authorization ?? ""))?.[1];
    const given = typeof authToken === "string" ? authToken : bearer;
    if (given !== undefined) return sameSecret(given, this.token);
    return this.cookieValid(cookieValue(headers.cookie, ADMIN_COOKIE));
  }

  /** Checks a token typed into the console's login form. */
  tokenIs(given: string): boolean {
    return sameSecret(given, this.token);
  }

  /** Express: admin only (bearer header or cookie; never a query string). */
  require() {
    return async (req: Request, res: Response, next: NextFunction) => {
      await this.attempts.refuseIfBlocked(req, res);
      if (!this.isAdmin(req.headers)) {
        await this.attempts.failed(req.ip ?? "");
        throw new UserError("admin only: send the admin token as 'Authorization: Bearer <token>', or log in on /console", 401);
      }
      next();
    };
  }

  /** socket.io: admin only (auth.token, a bearer header, or the console's cookie). */
  socketGate() {
    return (socket: { handshake: { headers: IncomingMessage["headers"]; auth?: Record<string, unknown>; address: string } }, next: (e?: Error) => void) => {
      const { handshake } = socket;
      void this.attempts.waitSeconds(handshake.address).then(async (wait) => {
        if (wait > 0) return next(new Error(`too many failed token checks from this address; try again in ${wait} s`));
        if (this.isAdmin(handshake.headers, handshake.auth?.token)) return next();
        await this.attempts.failed(handshake.address);
        next(new Error("admin only: log in on /console, or give the admin token (auth.token)"));
      });
    };
  }
}
