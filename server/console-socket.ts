/** The operator's live channel: admin-authenticated socket.io namespace that hears every stored trial. */
import type { Server as SocketServer } from "socket.io";
import type { ApiEvents } from "./api.ts";
import type { AdminAuth } from "./auth.ts";

export function attachConsole(io: SocketServer, auth: AdminAuth): ApiEvents {
  const console = io.of("/console");
  console.use(auth.socketGate());
  return {
    trialsStored(session, records) {
      if (records.length === 0) return;
      console.emit("trials", {
        sessionId: session.id,
        studyId: session.studyId,
        pid: session.pid,
        records: records.map((r) => ({ recordIndex: r.recordIndex, kind: r.data.kind, stimulusId: r.data.stimulus_id, response: r.data.response_value, correct: r.data.correct, rt: r.data.rt })),
      });
    },
  };
}
