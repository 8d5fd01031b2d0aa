/**
 * The operator console (admin page, /console; log in with the admin token, which the server exchanges
 * for an HttpOnly cookie, so the token never sits in a URL or in this page's storage): the trigger
 * sources, the live participant's session on top (newest first if several), and the day's earlier
 * sessions folded away below. Each session is a card (session-card.ts) of what the server decided
 * (server/scanner/console-state.ts): its state, headline and buttons; this page only renders them and
 * asks each button's confirmation before sending it. Stored records are counted per participant.
 */
import { io } from "socket.io-client";
import type { ConsoleSession, ConsoleState } from "../scanner-sync/protocol.ts";
import type { StoredTrialsNote } from "../study/wire.ts";
import { esc, newCard, updateCard } from "./session-card.ts";

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

function message(text: string, cls = ""): void {
  $("messages").insertAdjacentHTML("afterbegin", `<li class="${cls}">${new Date().toLocaleTimeString()} ${esc(text)}</li>`);
}

/** Records stored per session, one line each, updated in place (not one line per trial). */
const stored = new Map<string, { n: number; li: HTMLLIElement }>();
function recordsStored(sessionId: string, pid: string, n: number): void {
  let line = stored.get(sessionId);
  if (!line) {
    const li = document.createElement("li");
    li.dataset.records = sessionId;
    line = { n: 0, li };
    stored.set(sessionId, line);
  }
  line.n += n;
  $("messages").prepend(line.li); // the one line, moved to the top as it counts up
  line.li.textContent = `${new Date().toLocaleTimeString()} ${pid}: ${line.n} record${line.n === 1 ? "" : "s"} stored`;
}

socket.on("connect", () => ($("connection").innerHTML = `<span class="ok">connected</span>`));
socket.on("disconnect", () => ($("connection").innerHTML = `<span class="bad">disconnected from the server; reconnecting...</span>`));
socket.on("connect_error", (e) => {
  // the login ran out (12 h) or the server's token changed: back to the login form
  if (/^admin only/.test(e.message)) location.reload();
  else $("connection").innerHTML = `<span class="bad">${esc(e.message)}</span>`;
});
socket.on("scanner:error", (e: { event: string; error: string }) => message(`${e.event}: ${e.error}`, "bad"));
// the server gathers stored trials over a quarter second (server/console-socket.ts)
socket.on("trials", (notes: StoredTrialsNote[]) => {
  for (const t of notes) recordsStored(t.sessionId, t.pid, t.records.length);
});

socket.on("scanner:state", (state: ConsoleState) => {
  $("sources").innerHTML = state.sources.length
    ? `<table><tr><th>source</th><th>state</th><th>detail</th><th>pulses outside runs</th></tr>${state.sources
        .map((s) => `<tr><td>${esc(s.name)}</td><td>${esc(s.state)}</td><td class="${s.state === "open" || s.state === "connected" ? "" : "warn"}">${esc(s.detail)}</td><td>${s.idlePulses}</td></tr>`)
        .join("")}</table>`
    : "<p>none (keyboard or simulated triggers come with each run)</p>";
  // the server lists the newest first: the participant in the scanner now is at the top
  const live = state.sessions.filter((s) => s.live);
  const earlier = state.sessions.filter((s) => !s.live);
  renderCards($("live-list"), live);
  $("live-empty").hidden = live.length > 0;
  $("live-empty").textContent = `no participant page is open${earlier.length ? " (earlier sessions below)" : ""}`;
  $("earlier").hidden = earlier.length === 0;
  $("earlier-count").textContent = String(earlier.length);
  renderCards($("earlier-list"), earlier);
});

/**
 * Puts one card per session into the list, in the given order. Cards are kept and updated part by part
 * (the state comes several times a second during a run): a button replaced between the operator's
 * mouse-down and mouse-up would swallow the click.
 */
function renderCards(list: HTMLElement, sessions: ConsoleSession[]): void {
  const byId = new Map([...list.querySelectorAll<HTMLElement>(":scope > [data-session]")].map((c) => [c.dataset.session!, c]));
  let previous: Element | null = null;
  for (const s of sessions) {
    const card = byId.get(s.sessionId) ?? document.querySelector<HTMLElement>(`[data-session="${CSS.escape(s.sessionId)}"]`) ?? newCard(s.sessionId);
    byId.delete(s.sessionId);
    updateCard(card, s);
    const at: Element | null = previous ? previous.nextElementSibling : list.firstElementChild;
    if (at !== card) list.insertBefore(card, at);
    previous = card;
  }
  for (const gone of byId.values()) gone.remove();
}

document.addEventListener("click", (e) => {
  const button = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-action]");
  const sessionId = button?.closest<HTMLElement>("[data-session]")?.dataset.session;
  if (!button || !sessionId || button.disabled) return;
  const action = button.dataset.action!;
  const label = button.textContent ?? action;
  if (button.dataset.confirm && !confirm(`${label}?\n\n${button.dataset.confirm}`)) return;
  socket.emit(action, { sessionId }, (ack: { ok: boolean; error?: string }) => message(ack.ok ? `${label}: done` : `${label}: ${ack.error}`, ack.ok ? "" : "bad"));
});
