/**
 * One scanner session as a card of the operator console. It only renders what the server decided
 * (server/scanner/console-state.ts): the state, the headline and the buttons, each with its label,
 * whether it can work now (and why not) and the confirmation to ask; and the run's figures.
 */
import type { ConsoleButton, ConsoleSession } from "../scanner-sync/protocol.ts";

export const esc = (s: unknown) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? "-" : v.toFixed(digits));

function buttonHtml(b: ConsoleButton, reasonId: string): string {
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

/** A card's parts as HTML: the console replaces only the parts that changed, so a button is not swapped out under the operator's click. */
export interface CardParts {
  className: string;
  header: string;
  headline: string;
  actions: string;
  facts: string;
  warnings: string;
}

export function cardParts(s: ConsoleSession): CardParts {
  return {
    className: `session-card state-${s.state}`,
    header: `${esc(s.pid)} <small>${esc(s.studyId)} · ${esc(s.source)} trigger · ${esc(s.state.replace(/-/g, " "))}</small>`,
    headline: esc(s.headline),
    actions: s.buttons.map((b, i) => buttonHtml(b, `reason-${s.sessionId}-${i}`)).join(""),
    facts: runFacts(s),
    warnings: s.warnings.map((w) => `<li>${esc(w)}</li>`).join(""),
  };
}

const PARTS = { header: "h3", headline: "p.headline", actions: "div.actions", facts: "div.facts", warnings: "ul.warnings" } as const;

/** A new, empty card for a session (its parts filled by updateCard). */
export function newCard(sessionId: string): HTMLElement {
  const card = document.createElement("section");
  card.dataset.session = sessionId;
  card.innerHTML = Object.values(PARTS)
    .map((sel) => {
      const [tag, cls] = sel.split(".");
      return `<${tag}${cls ? ` class="${cls}"` : ""}></${tag}>`;
    })
    .join("");
  return card;
}

/** Brings a card up to date, touching only the parts whose HTML changed. */
export function updateCard(card: HTMLElement, s: ConsoleSession): void {
  const parts = cardParts(s);
  if (card.className !== parts.className) card.className = parts.className;
  if (card.dataset.state !== s.state) card.dataset.state = s.state;
  for (const [name, sel] of Object.entries(PARTS) as [keyof typeof PARTS, string][]) {
    const el = card.querySelector<HTMLElement>(`:scope > ${sel}`)!;
    if (el.dataset.html !== parts[name]) {
      el.innerHTML = parts[name];
      el.dataset.html = parts[name];
      el.hidden = parts[name] === "";
    }
  }
}
