/** The console's picture across instances (server/scanner/scanner-peers.ts mergeSessions): one card per session, from the instance holding it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeSessions } from "../../server/scanner/scanner-peers.ts";
import type { ConsoleSession } from "../../scanner-sync/protocol.ts";

const card = (sessionId: string, connected: boolean, lastActivity: string, state: ConsoleSession["state"]): ConsoleSession =>
  ({ sessionId, connected, lastActivity, state, headline: `${sessionId} ${state}` }) as ConsoleSession;

test("a session known to two instances shows the card of the one its page is connected to, whatever the order", () => {
  const stale = card("s1", false, "2026-12-03T10:05:00.000Z", "page-not-connected"); // the page left this instance later
  const current = card("s1", true, "2026-12-03T10:00:00.000Z", "running");
  for (const [local, peers] of [[[stale], [current]], [[current], [stale]]] as const) {
    assert.deepEqual(mergeSessions([...local], [...peers]).map((s) => s.state), ["running"]);
  }
});

test("with no page connected anywhere, the newest card wins; the list is newest first", () => {
  const merged = mergeSessions(
    [card("a", false, "2026-12-03T09:00:00.000Z", "aborted"), card("b", true, "2026-12-03T08:00:00.000Z", "waiting")],
    [card("a", false, "2026-12-03T09:30:00.000Z", "page-not-connected"), card("c", false, "2026-12-03T11:00:00.000Z", "finished")],
  );
  assert.deepEqual(
    merged.map((s) => [s.sessionId, s.state]),
    [
      ["c", "finished"],
      ["a", "page-not-connected"],
      ["b", "waiting"],
    ],
  );
});
