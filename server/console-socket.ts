/** The operator's live channel: admin-authenticated socket.io namespace that hears every stored trial. */
import type { Server as SocketServer } from "socket.io";
import type { ApiEvents } from "./api.ts";
import type { AdminAuth } from "./auth.ts";
import type { StoredTrialsNote } from "../study/wire.ts";

/**
 * Stored trials reach the consoles gathered over this long: one broadcast for every upload in it. With
 * several instances each broadcast is a NOTIFY to all of them (cluster-postgres.ts), so one per upload
 * would cost the database as much as the uploads themselves at a few thousand participants.
 */
export const CONSOLE_TRIALS_EVERY_MS = 250;

export function attachConsole(io: SocketServer, auth: AdminAuth): ApiEvents & { close(): void } {
  const console = io.of("/console");
  console.use(auth.socketGate());
  let pending: StoredTrialsNote[] = [];
  let timer: NodeJS.Timeout | undefined;
  const send = () => {
    timer = undefined;
    const notes = pending;
    pending = [];
    if (notes.length > 0) console.emit("trials", notes);
  };
  return {
    trialsStored(session, records) {
      if (records.length === 0) return;
      pending.push({
        sessionId: session.id,
        studyId: session.studyId,
        pid: session.pid,
        records: records.map((r) => ({ recordIndex: r.recordIndex, kind: r.data.kind, stimulusId: r.data.stimulus_id, response: r.data.response_value, correct: r.data.correct, rt: r.data.rt })),
      });
      timer ??= setTimeout(send, CONSOLE_TRIALS_EVERY_MS);
    },
    close() {
      clearTimeout(timer);
      send();
    },
  };
}
