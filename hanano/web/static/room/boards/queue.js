// The incident queue: open and responding incidents, in the order the dispatcher chose (shown
// above it), each with how long it has waited.
import { get, set } from "../state.js";
import { fill, t, tt } from "../i18n.js";
import { num, plural, teamLabel } from "../numbers.js";
import { $, SEV_COLOUR, STATE_COLOUR, ago, empty, h, time } from "../util.js";
import { placeName } from "../zones.js";
import { openDetail } from "../detail.js";
import { showTab } from "../tabs.js";
import { tasksOf } from "./teams.js";
import { dangersAt } from "../alarm.js";

// Since when an incident has waited: its first report's arrival.
const waitingSince = (i) => i.first_received_at || i.opened_at;
const longestWaiting = (a, b) => String(waitingSince(a)).localeCompare(String(waitingSince(b)));
// An open incident waits for a team; one with a team on the way no longer does.
const waitingFirst = (a, b) => (a.status === "open" ? 0 : 1) - (b.status === "open" ? 0 : 1);

export const ORDERS = {
  severity: (a, b) => (b.severity - a.severity) || longestWaiting(a, b),
  waiting: (a, b) => waitingFirst(a, b) || longestWaiting(a, b),
};

export const queueOrder = () => (ORDERS[localStorage.getItem("hanano.queueOrder")] ? localStorage.getItem("hanano.queueOrder") : "severity");

export function queue() {
  return [...get("incidents").values()]
    .filter((i) => i.status === "open" || i.status === "responding")
    .sort(ORDERS[queueOrder()]);
}

function waitText(i) {
  return fill(t(i.status === "open" ? "waiting" : "responding_for"), { duration: ago(waitingSince(i)) });
}

// The order's switch, naming the rule in force.
function renderOrder() {
  const select = $("#queue-order");
  // Rebuilt only for a new language: an open drop-down must not close under a live update.
  if (select.dataset.lang === get("lang")) return;
  select.dataset.lang = get("lang");
  select.replaceChildren(...Object.keys(ORDERS).map((k) => h("option", { value: k }, t(`sort_${k}`))));
  select.value = queueOrder();
  select.onchange = () => { localStorage.setItem("hanano.queueOrder", select.value); renderQueue(); };
}

// The waits move with the clock; only their words are rewritten, not the rows under the pointer.
export function tickQueue() {
  for (const el of document.querySelectorAll("#queue .wait")) {
    const i = get("incidents").get(el.dataset.id);
    if (i) el.textContent = waitText(i);
  }
}

// The rows a screen holds are drawn at once and the rest (up to 300) when the page is next
// idle, so that a thousand incidents hold back neither the room's first load nor a click.
const FIRST_ROWS = 40;
const MAX_ROWS = 300;
let rest = null;

function queueRow(i) {
  const teams = get("teams");
  return h("li", {
    class: `row incident-row ${get("selected") === i.id ? "sel" : ""} ${dangersAt(i.id).length ? "danger" : ""}`, "data-id": i.id,
    onclick: () => openDetail("incident", i.id),
  },
  h("span", { class: "sev", style: `--c:${SEV_COLOUR[i.severity] || SEV_COLOUR[0]}` }, num(i.severity)),
  h("span", { class: "main" },
    h("b", {}, `${i.id} · ${tt("kind", i.kind)}`), " ",
    h("span", { class: `pill status-${i.status}` }, tt("status", i.status)),
    h("br"), placeName(i),
    i.trapped ? h("span", { class: "warn" }, ` · ${plural("trapped", i.trapped)}`) : null,
    i.casualties ? ` · ${plural("casualties", i.casualties)}` : null,
    ...tasksOf(i.id).map((k) => h("span", { class: "chip small", style: `--c:${STATE_COLOUR[k.state] || "#888"}` },
      `${teamLabel(teams.get(k.team_id), k.team_id)}: ${tt("state", k.state)}`))),
  h("span", { class: "when" }, h("b", { class: `wait ${i.status}`, "data-id": i.id }, waitText(i)), h("br"),
    h("small", {}, plural("reports", i.report_count)), h("br"),
    h("small", { class: "last-seen" }, `${t("last_seen")} `, time(i.last_report_at))));
}

// The rows still to draw, drawn now.
function drawRest() {
  if (!rest) return;
  const { items, handle } = rest;
  rest = null;
  cancelIdleCallback(handle);
  $("#queue").append(...items.map(queueRow));
}

export function renderQueue() {
  const items = queue();
  $("#n-queue").textContent = num(items.length);
  renderOrder();
  if (rest) cancelIdleCallback(rest.handle);
  rest = null;
  const rows = items.slice(0, FIRST_ROWS).map(queueRow);
  $("#queue").replaceChildren(...(rows.length ? rows : empty()));
  const later = items.slice(FIRST_ROWS, MAX_ROWS);
  if (later.length) rest = { items: later, handle: requestIdleCallback(drawRest, { timeout: 1000 }) };
}

// A new selection moves the mark and leaves the rows be: a row redrawn under the pointer can
// swallow a click.
export function markSelected() {
  const selected = get("selected");
  for (const el of document.querySelectorAll("#queue .incident-row")) el.classList.toggle("sel", el.dataset.id === selected);
}

// J and K: the next or previous incident in the queue, scrolled into view.
export function moveSelection(step) {
  const items = queue();
  if (!items.length) return;
  const at = items.findIndex((i) => i.id === get("selected"));
  const next = items[Math.max(0, Math.min(items.length - 1, at + step))];
  set({ selected: next.id });
  showTab("queue");
  drawRest();
  markSelected();
  document.querySelector(`#queue [data-id="${CSS.escape(next.id)}"]`)?.scrollIntoView({ block: "nearest" });
}
