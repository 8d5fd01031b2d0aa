/**
 * The operator console (admin page, /console; log in with the admin token, which the server exchanges
 * for an HttpOnly cookie, so the token never sits in a URL or in this page's storage): live state of the trigger sources and of every
 * scanner session (connection, volumes, measured TR, missed and duplicate pulses, progress, last
 * responses, warnings), with start and abort buttons for runs, and after an aborted run a retake button
 * (and, after an aborted last run, one to finish without a retake).
 */
import { io } from "socket.io-client";
import type { ConsoleSession, ConsoleState } from "../scanner-sync/protocol.ts";

const $ = (id: string) => document.getElementById(id)!;

/** Resolves once this browser holds the admin cookie: at once, or after the login form is sent. */
async function loggedIn(): Promise<void> {
  if ((await fetch("/api/admin/session")).ok) return;
  const form = $("login") as HTMLFormElement;
  form.hidden = false;
  ($("login-token") as HTMLInputElement).focus();
  await new Promise<void>((resolve) => {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const token = ($("login-token") as HTMLInputElement).value;
      void fetch("/api/admin/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) }).then(async (res) => {
        if (res.ok) {
          form.hidden = true;
          ($("login-token") as HTMLInputElement).value = "";
          resolve();
        } else {
          $("login-error").textContent = ((await res.json().catch(() => ({}))) as { error?: string }).error ?? `HTTP ${res.status}`;
        }
      });
    });
  });
}

await loggedIn();
$("main").hidden = false;
// the handshake carries the cookie (same origin); no token in the page
const socket = io("/console", { transports: ["websocket"] });
const esc = (s: unknown) => String(s ?? "").replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? "-" : v.toFixed(digits));

function message(text: string, cls = ""): void {
  $("messages").insertAdjacentHTML("afterbegin", `<li class="${cls}">${new Date().toLocaleTimeString()} ${esc(text)}</li>`);
}

socket.on("connect", () => ($("connection").innerHTML = `<span class="ok">connected</span>`));
socket.on("disconnect", () => ($("connection").innerHTML = `<span class="bad">disconnected from the server; reconnecting...</span>`));
socket.on("connect_error", (e) => {
  // the login ran out (12 h) or the server's token changed: back to the login form
  if (/^admin only/.test(e.message)) location.reload();
  else $("connection").innerHTML = `<span class="bad">${esc(e.message)}</span>`;
});
socket.on("scanner:error", (e: { event: string; error: string }) => message(`${e.event}: ${e.error}`, "bad"));
socket.on("trials", (t: { pid: string; records: { kind: string; response: unknown }[] }) => message(`${t.pid}: ${t.records.length} record(s) stored`));

socket.on("scanner:state", (state: ConsoleState) => {
  $("sources").innerHTML = state.sources.length
    ? `<table><tr><th>source</th><th>state</th><th>detail</th><th>pulses outside runs</th></tr>${state.sources
        .map((s) => `<tr><td>${esc(s.name)}</td><td>${esc(s.state)}</td><td class="${s.state === "open" || s.state === "connected" ? "" : "warn"}">${esc(s.detail)}</td><td>${s.idlePulses}</td></tr>`)
        .join("")}</table>`
    : "<p>none (keyboard or simulated triggers come with each run)</p>";
  $("sessions").innerHTML = state.sessions.length
    ? `<table><tr><th>participant</th><th>page</th><th>run</th><th>volumes</th><th>TR (ms)</th><th>missed</th><th>duplicates</th><th>clock</th><th>progress</th><th>last responses</th><th>warnings</th><th></th></tr>${state.sessions
        .map((s) => {
          const r = s.run;
          const going = r && (r.status === "armed" || r.status === "running");
          return `<tr data-session="${esc(s.sessionId)}">
            <td>${esc(s.pid)}<br><small>${esc(s.studyId)} · ${esc(s.source)}</small></td>
            <td class="${s.connected ? "ok" : "bad"}">${s.connected ? "connected" : "DISCONNECTED"}${waiting(s)}</td>
            <td>${r ? `${r.run}${r.attempt > 1 ? ` retake ${r.attempt - 1}` : ""} (${esc(r.status)})` : "-"}</td>
            <td>${r ? `${r.volumes} / ${r.plannedVolumes}` : "-"}</td>
            <td>${r ? `${fmt(r.measuredTrMs, 2)} (nominal ${s.trMs})<br><small>drift ${fmt(r.driftTotalMs, 1)} ms over the run</small>` : "-"}</td>
            <td class="${r?.missedVolumes.length ? "bad" : ""}">${r ? r.missedVolumes.join(", ") || "0" : "-"}</td>
            <td class="${r?.duplicateSeqs.length ? "bad" : ""}">${r ? r.duplicateSeqs.join(", ") || "0" : "-"}</td>
            <td>${r?.clock ? `${fmt(r.clock.offsetMs, 2)} ± ${fmt(r.clock.uncertaintyMs, 2)} ms` : "-"}</td>
            <td>${s.progress ? `${s.progress.trial} / ${s.progress.nTrials}` : "-"}</td>
            <td>${s.lastResponses.map((x) => `${x.trial}: ${esc(x.response ?? "none")}${x.rtMs !== null ? ` (${fmt(x.rtMs, 0)} ms)` : ""}`).join("<br>")}</td>
            <td class="warn">${s.warnings.map(esc).join("<br>")}</td>
            <td><button data-action="run:start" ${s.readyRun && s.readyRun <= s.nRuns && !going ? "" : "disabled"}>start run</button>
                <button data-action="run:abort" ${going ? "" : "disabled"}>abort run</button>
                ${s.retake ? `<button data-action="run:retake">retake run ${s.retake.run}</button>` : ""}
                ${s.retake && s.readyRun! > s.nRuns ? `<button data-action="runs:finish">finish without retake</button>` : ""}</td></tr>`;
        })
        .join("")}</table>`
    : "<p>no scanner session connected yet</p>";
});

function waiting(s: ConsoleSession): string {
  if (!s.readyRun) return "";
  return s.readyRun <= s.nRuns ? `<br>waiting for run ${s.readyRun}` : "<br>after the last run: retake it or finish";
}

document.addEventListener("click", (e) => {
  const button = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-action]");
  const sessionId = button?.closest<HTMLElement>("tr")?.dataset.session;
  if (!button || !sessionId) return;
  const action = button.dataset.action!;
  if (action === "run:abort" && !confirm("Abort this run?")) return;
  socket.emit(action, { sessionId }, (ack: { ok: boolean; error?: string }) => message(ack.ok ? `${action} sent` : `${action}: ${ack.error}`, ack.ok ? "" : "bad"));
});
