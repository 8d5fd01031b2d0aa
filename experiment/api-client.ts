/** The participant page's side of the JSON API (server/api.ts). Isomorphic: uses fetch only. */
import type { AppendResult, ClientStudy, FinishResult, SessionInfo, SessionState, UploadRecord } from "../study/wire.ts";

/** The server could not be reached or had a passing failure: try again later. */
export class TransientError extends Error {
  override name = "TransientError";
}

/** The server refused the request for a reason retrying will not fix. */
export class RejectedError extends Error {
  override name = "RejectedError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class ApiClient {
  constructor(private readonly base = "") {}

  private async call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api${path}`, {
        method,
        headers: { ...(body !== undefined && { "content-type": "application/json" }), ...(token && { authorization: `Bearer ${token}` }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        cache: "no-store",
      });
    } catch (e) {
      throw new TransientError(`network: ${(e as Error).message}`);
    }
    const payload = (await res.json().catch(() => ({}))) as { error?: string };
    if (res.ok) return payload as T;
    if (res.status >= 500 || res.status === 408 || res.status === 429) throw new TransientError(payload.error ?? `HTTP ${res.status}`);
    // Only advsight's own refusal (a JSON {error}) stops the retries. A bare 4xx comes from something in
    // between (a proxy during a restart, an HTTP layer that misread a reused connection): try again.
    if (typeof payload.error !== "string") throw new TransientError(`HTTP ${res.status} without an advsight error (a proxy or the connection?)`);
    throw new RejectedError(payload.error, res.status);
  }

  study(studyId: string): Promise<ClientStudy> {
    return this.call("GET", `/studies/${encodeURIComponent(studyId)}`);
  }

  createSession(studyId: string, participant: Record<string, string>, userAgent: string): Promise<SessionInfo> {
    return this.call("POST", "/sessions", { studyId, participant, userAgent: userAgent.slice(0, 512) });
  }

  session(s: SessionInfo): Promise<SessionState> {
    return this.call("GET", `/sessions/${s.sessionId}`, undefined, s.token);
  }

  appendTrials(s: SessionInfo, records: UploadRecord[]): Promise<AppendResult> {
    return this.call("POST", `/sessions/${s.sessionId}/trials`, { records }, s.token);
  }

  finish(s: SessionInfo, nRecords: number): Promise<FinishResult> {
    return this.call("POST", `/sessions/${s.sessionId}/finish`, { nRecords }, s.token);
  }
}
