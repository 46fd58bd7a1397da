// The outbox as the phone holds it: each item with its state and, once acknowledged, the log
// index the server gave it (a receipt can be asked for by that number).
import { $, h } from "../room/util.js";
import { num } from "../room/numbers.js";
import { fill, t, tt } from "./i18n.js";
import { all } from "./store.js";
import { siteLabel } from "./sites.js";

function label(item) {
  const words = item.label || {};
  if (item.kind === "report") return fill(t("report_item"), { kind: tt("kind", words.kind) });
  if (item.kind === "sighting") {
    return fill(t("sighting_item"), { aircraft: tt("aircraft_kind", words.aircraft),
      dir: words.dir === undefined ? "" : t("dirs")[words.dir] });
  }
  if (item.kind === "step") return fill(t("step_item"), { state: tt("state", words.state) });
  if (item.kind === "status") return words.checkin ? t("checkin_item") : t("position_item");
  if (item.kind === "checkin") return t("checkin_item");
  if (item.kind === "worksite" || item.kind === "victim") return siteLabel(item);
  return t("photo_item");
}

function row(item) {
  const when = new Date(item.body.observed_at || item.body.captured_at || item.created);
  return h("li", { class: `item ${item.state}`, "data-id": item.id, "data-state": item.state,
    "data-log-index": item.log_index ?? null },
    h("span", { class: "what" }, label(item)),
    h("time", { datetime: when.toISOString() }, when.toLocaleTimeString(document.documentElement.lang,
      { hour: "2-digit", minute: "2-digit" })),
    h("span", { class: `chip ${item.state}` }, t(item.state)),
    item.log_index !== null && item.log_index !== undefined
      ? h("span", { class: "log-index" }, fill(t("log_index"), { n: num(item.log_index) })) : null,
    item.error ? h("span", { class: "error" }, item.error) : null);
}

let drawing = Promise.resolve();
export function drawOutbox() {
  drawing = drawing.then(async () => {
    const items = (await all()).reverse();
    $("#f-outbox").hidden = items.length === 0;
    $("#f-outbox-title").textContent = t("outbox");
    $("#f-items").replaceChildren(...items.slice(0, 30).map(row));
    // The newest item also under the header, where it is seen without scrolling (a report
    // rather than the photo that follows it).
    const newest = items.find((i) => i.kind !== "photo") || items[0];
    $("#f-last").hidden = !newest;
    $("#f-last").replaceChildren(...(newest ? row(newest).childNodes : []));
    if (newest) $("#f-last").dataset.state = newest.state;
  }).catch(() => {});
  return drawing;
}

