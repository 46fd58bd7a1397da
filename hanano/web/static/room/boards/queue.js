// The incident queue: open and responding incidents, most severe and newest first.
import { get, set } from "../state.js";
import { tt } from "../i18n.js";
import { num, plural, teamLabel } from "../numbers.js";
import { $, SEV_COLOUR, STATE_COLOUR, empty, h, time } from "../util.js";
import { placeName } from "../zones.js";
import { openDetail } from "../detail.js";
import { showTab } from "../tabs.js";
import { tasksOf } from "./teams.js";

export function queue() {
  return [...get("incidents").values()]
    .filter((i) => i.status === "open" || i.status === "responding")
    .sort((a, b) => (b.severity - a.severity)
      || String(b.last_report_at).localeCompare(String(a.last_report_at)));
}

export function renderQueue() {
  const items = queue();
  const selected = get("selected");
  const teams = get("teams");
  $("#n-queue").textContent = num(items.length);
  const rows = items.slice(0, 300).map((i) => h("li", {
    class: `row incident-row ${selected === i.id ? "sel" : ""}`, "data-id": i.id,
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
  h("span", { class: "when" }, time(i.last_report_at), h("br"), h("small", {}, plural("reports", i.report_count)))));
  $("#queue").replaceChildren(...(rows.length ? rows : empty()));
}

// J and K: the next or previous incident in the queue, scrolled into view.
export function moveSelection(step) {
  const items = queue();
  if (!items.length) return;
  const at = items.findIndex((i) => i.id === get("selected"));
  const next = items[Math.max(0, Math.min(items.length - 1, at + step))];
  set({ selected: next.id });
  showTab("queue");
  renderQueue();
  document.querySelector(`#queue [data-id="${CSS.escape(next.id)}"]`)?.scrollIntoView({ block: "nearest" });
}
