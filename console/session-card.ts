/**
 * One scanner session as a card of the operator console. It only renders what the server decided
 * (server/scanner/console-state.ts): the state, the headline and the buttons, each with its label,
 * whether it can work now (and why not) and the confirmation to ask; and the run's figures.
 */
import type { ConsoleButton, ConsoleSession } from "../scanner-sync/protocol.ts";

export const esc = (s: unknown) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? "-" : v.toFixed(digits));

function buttonHtml(b: ConsoleButton): string {
  const reasonId = `reason-${Math.random().toString(36).slice(2, 10)}`;
  return `<span class="action">
    <button type="button" data-action="${esc(b.action)}" data-confirm="${esc(b.confirm ?? "")}" ${b.enabled ? "" : `disabled aria-describedby="${reasonId}" title="${esc(b.disabledReason)}"`}>${esc(b.label)}</button>
    ${b.enabled ? "" : `<small class="reason" id="${reasonId}">${esc(b.disabledReason)}</small>`}
  </span>`;
}

function runFacts(s: ConsoleSession): string {
  const r = s.run;
  const row = (name: string, value: string, cls = "") => `<tr><th>${name}</th><td class="${cls}">${value}</td></tr>`;
  const rows = [row("page", `${s.connected ? "connected" : "not connected"}${s.disconnects ? ` (${s.disconnects} disconnection(s))` : ""}`, s.connected ? "ok" : "bad")];
  if (r) {
    rows.push(
      row("run", `${r.run} of ${s.nRuns}${r.attempt > 1 ? ` (retake ${r.attempt - 1})` : ""}: ${esc(r.status)}`),
      row("volumes", `${r.volumes} / ${r.plannedVolumes}`),
      row("TR", `${fmt(r.measuredTrMs, 2)} ms measured, ${s.trMs} ms nominal${r.driftTotalMs !== null ? ` (drift ${fmt(r.driftTotalMs, 1)} ms over the run)` : ""}`),
      row("missed volumes", r.missedVolumes.join(", ") || "none", r.missedVolumes.length ? "bad" : ""),
      row("duplicate pulses", r.duplicateSeqs.join(", ") || "none", r.duplicateSeqs.length ? "bad" : ""),
      row("clock", esc(s.clockText ?? "not measured yet"), s.clockText && !/in sync/.test(s.clockText) ? "warn" : ""),
    );
  }
  if (s.progress) rows.push(row("trials", `${s.progress.trial} / ${s.progress.nTrials}`));
  if (s.lastResponses.length) {
    rows.push(row("last responses", s.lastResponses.map((x) => `trial ${x.trial}: ${esc(x.response ?? "none")}${x.rtMs !== null ? ` (${fmt(x.rtMs, 0)} ms)` : ""}`).join("<br>")));
  }
  return `<table class="facts">${rows.join("")}</table>`;
}

export function sessionCard(s: ConsoleSession): string {
  return `<section class="session-card state-${esc(s.state)}" data-session="${esc(s.sessionId)}" data-state="${esc(s.state)}">
    <h3>${esc(s.pid)} <small>${esc(s.studyId)} · ${esc(s.source)} trigger · ${esc(s.state.replace(/-/g, " "))}</small></h3>
    <p class="headline">${esc(s.headline)}</p>
    ${s.buttons.length ? `<div class="actions">${s.buttons.map(buttonHtml).join("")}</div>` : ""}
    ${runFacts(s)}
    ${s.warnings.length ? `<ul class="warnings">${s.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : ""}
  </section>`;
}
