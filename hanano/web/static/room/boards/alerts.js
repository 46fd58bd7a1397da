// Alerts: the list, an operator's alert for chosen zones, cancel or all-clear for each with its
// reason, and a sighting relayed by radio.
import { get, may, serverNow, set } from "../state.js";
import { t, tt } from "../i18n.js";
import { num } from "../numbers.js";
import { act, api } from "../api.js";
import { $, LEVEL_COLOUR, empty, h, time, toast, uuid4 } from "../util.js";
import { alertNumber, sortedZones, zoneLevels, zoneNames } from "../zones.js";
import { openDetail } from "../detail.js";

// The reason typed in an alert's row, kept across redraws.
const endReasons = new Map();
const offered = (action) => may(action) && get("can").alerts !== false;

export function renderAlerts() {
  const levels = zoneLevels();
  const alerts = get("alerts");
  const ar = get("lang") === "ar";
  $("#n-alerts").textContent = num(alerts.filter((a) => a.status === "active").length);
  const rank = { imminent: 0, warning: 1, watch: 2, all_clear: 3 };
  const sorted = [...alerts].sort((a, b) => (a.status === "active" ? 0 : 1) - (b.status === "active" ? 0 : 1)
    || rank[a.level] - rank[b.level] || alertNumber(b) - alertNumber(a));
  const rows = sorted.slice(0, 100).map((a) => h("li", {
    class: `row alert-row level-${a.level} ${a.status}`, "data-id": a.alert_id,
    onclick: () => openDetail("alert", a.alert_id),
  },
  h("span", { class: "chip", style: `--c:${LEVEL_COLOUR[a.level] || "#2fa84f"}` }, tt("alert_level", a.level)),
  h("span", { class: "main" }, h("b", {}, ar ? a.headline_ar : a.headline_en),
    h("br"), h("small", {}, zoneNames(a.zones, 4),
      a.zones.length > 4 ? ` +${num(a.zones.length - 4)}` : "")),
  h("span", { class: "when" }, time(a.sent), h("br"),
    h("small", {}, tt("status", a.status)),
    a.level !== "all_clear" && levels.size ? h("br") : null),
  endAlertControls(a)));
  renderIssueForm();
  $("#alerts").replaceChildren(...(rows.length ? rows : empty()));
}

// Cancel or all-clear for one alert, with the reason typed in its row.
function endAlertControls(a) {
  const cancel = offered("cancel_alert"), clear = offered("clear_alert");
  if (!(cancel || clear) || a.status !== "active" || a.level === "all_clear") return null;
  const reason = h("input", { name: "reason", maxlength: "500", placeholder: t("reason"),
    "aria-label": t("reason"), value: endReasons.get(a.alert_id) || "",
    oninput: (e) => { endReasons.set(a.alert_id, e.target.value); } });
  const end = (kind) => async (e) => {
    e.preventDefault();
    const text = reason.value.trim();
    if (!text) { reason.focus(); toast(t("reason_needed"), true); return; }
    const done = await act(api(`/api/v1/alerts/${a.alert_id}/${kind}`,
      { method: "POST", body: { reason: text } }));
    if (done) endReasons.delete(a.alert_id);
  };
  return h("form", { class: "end-alert", onclick: (e) => e.stopPropagation(), onsubmit: end("all-clear") },
    reason,
    cancel ? h("button", { type: "button", class: "cancel-alert", onclick: end("cancel") }, t("cancel_alert")) : null,
    clear ? h("button", { type: "submit", class: "primary clear-alert" }, t("all_clear_alert")) : null);
}

// An operator's alert: zones from the list or clicked on the map, a level and a reason. It
// stands until cancelled or cleared from its row (or it expires).
function renderIssueForm() {
  const form = $("#issue-alert");
  form.hidden = !offered("issue_alert");
  if (form.hidden) return;
  const chosen = new Set([...form.pcode.selectedOptions].map((o) => o.value));
  form.pcode.replaceChildren(...sortedZones().map(([v, text]) =>
    h("option", { value: v, selected: chosen.has(v) }, `${text} (${v})`)));
  const level = form.level.value || "warning";
  form.level.replaceChildren(...["watch", "warning", "imminent"].map((v) =>
    h("option", { value: v }, tt("alert_level", v))));
  form.level.value = level;
  form.level.setAttribute("aria-label", t("level"));
  form.reason.placeholder = t("reason");
  form.reason.setAttribute("aria-label", t("reason"));
}

export function armZonePick() {
  const on = !get("pickZone");
  set({ pickZone: on });
  $("#map").classList.toggle("arming", on);
  $("#pick-zone").classList.toggle("on", on);
}

// A zone clicked on the map while picking joins (or leaves) the alert's zones.
export function pickZone(pcode) {
  const option = [...$("#issue-alert").pcode.options].find((o) => o.value === pcode);
  if (option) option.selected = !option.selected;
}

export async function issueAlert(event) {
  event.preventDefault();
  const form = event.target;
  const zones = [...form.pcode.selectedOptions].map((o) => o.value);
  if (!zones.length) { toast(t("choose_zone"), true); return; }
  const body = { zones, level: form.level.value, reason: form.reason.value.trim() };
  if (await act(api("/api/v1/alerts", { method: "POST", body }))) {
    form.reason.value = "";
    for (const o of form.pcode.options) o.selected = false;
    if (get("pickZone")) armZonePick();
  }
}

// A sighting relayed by radio: the early-warning engine turns it into alerts for the zones.
export function renderSightingForm() {
  const form = $("#sighting");
  form.hidden = !offered("report_sighting");
  if (form.hidden) return;
  const options = (select, values, label) => {
    const current = select.value;
    select.replaceChildren(...values.map(([v, text]) => h("option", { value: v }, text)));
    if (current) select.value = current;
    select.setAttribute("aria-label", label);
  };
  options(form.aircraft, ["helicopter", "fixed_wing", "drone", "unknown"].map((v) => [v, tt("aircraft_kind", v)]), t("aircraft"));
  options(form.activity, ["over", "circling"].map((v) => [v, tt("activity", v)]), t("activity_label"));
  options(form.pcode, sortedZones(), t("zone"));
}

export async function reportSighting(event) {
  event.preventDefault();
  const form = event.target;
  const body = { id: uuid4(), observed_at: new Date(serverNow()).toISOString(),
    aircraft: form.aircraft.value, activity: form.activity.value, pcode: form.pcode.value };
  await act(api("/api/v1/sightings", { method: "POST", body }));
}
