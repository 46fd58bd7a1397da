// Alerts: the list, an operator's alert for chosen zones, cancel or all-clear for each with its
// reason, and a sighting relayed by radio.
import { get, may, serverNow, set } from "../state.js";
import { fill, t, tt } from "../i18n.js";
import { num, plural } from "../numbers.js";
import { act, api } from "../api.js";
import { $, LEVEL_COLOUR, empty, h, time, toast, uuid4 } from "../util.js";
import { alertNumber, sortedZones, zoneNames } from "../zones.js";
import { ask } from "../dialogs.js";
import { openDetail } from "../detail.js";
import { alertReason } from "../engine.js";

// The reason typed in an alert's row, kept across redraws.
const endReasons = new Map();
const offered = (action) => may(action) && get("can").alerts !== false;

// Newest first by number, whatever their level or state: a row never moves under the pointer
// when another alert starts or ends.
export function renderAlerts() {
  const alerts = get("alerts");
  $("#n-alerts").textContent = num(alerts.filter((a) => a.status === "active").length);
  const sorted = [...alerts].sort((a, b) => alertNumber(b) - alertNumber(a));
  const rows = sorted.slice(0, 100).map(alertRow);
  renderIssueForm();
  $("#alerts").replaceChildren(...(rows.length ? rows : empty()));
}

const issuer = (source) => t(source === "operator" ? "by_operator" : "by_engine");
const headline = (a) => (get("lang") === "ar" ? a.headline_ar : a.headline_en);

function endingText(a) {
  const e = a.ended;
  if (!e) return null;
  const how = fill(tt("ended_how", e.how), { at: e.at ? time(e.at).textContent : "", by: e.by || "" });
  return h("small", { class: "ending" }, how, e.source ? ` ${fill(t("ended_who"), { who: issuer(e.source) })}` : "",
    e.reason ? h("q", { dir: "auto" }, alertReason(e)) : null);
}

function alertRow(a) {
  return h("li", {
    class: `row alert-row level-${a.level} ${a.status}`, "data-id": a.alert_id,
    onclick: () => openDetail("alert", a.alert_id),
  },
  h("span", { class: "chip", style: `--c:${LEVEL_COLOUR[a.level] || "#2fa84f"}` }, tt("alert_level", a.level)),
  h("span", { class: "main" }, h("b", {}, `${a.alert_id} · `, headline(a)),
    h("small", { class: "issuer" }, ` · ${fill(t("issued_by"), { who: issuer(a.source) })}`),
    h("br"), h("small", { class: "zones" }, zoneNames(a.zones, 4), a.zones.length > 4 ? ` +${num(a.zones.length - 4)}` : ""),
    a.reason ? h("small", { class: "why", dir: "auto" }, `${t("reason")}: `, alertReason(a)) : null,
    endingText(a)),
  h("span", { class: "when" }, time(a.sent), h("br"), h("small", {}, tt("status", a.status))),
  endAlertControls(a));
}

// Cancel or all-clear for one alert, with the reason typed in its row; the confirmation names
// the alert (number, level, headline, who issued it, zones) so no other alert is ended by mistake.
function endAlertControls(a) {
  const cancel = offered("cancel_alert"), clear = offered("clear_alert");
  if (!(cancel || clear) || a.status !== "active" || a.level === "all_clear") return null;
  const reason = h("input", { name: "reason", maxlength: "500", placeholder: t("reason"),
    "aria-label": t("reason"), value: endReasons.get(a.alert_id) || "",
    oninput: (e) => { endReasons.set(a.alert_id, e.target.value); } });
  const end = (kind) => async (e) => {
    e.preventDefault();
    const names = { alert: a.alert_id };
    const text = await ask({
      title: fill(t(kind === "cancel" ? "cancel_title" : "clear_title"), names),
      detail: fill(t("end_detail"), { level: tt("alert_level", a.level), headline: headline(a),
        who: fill(t("issued_by"), { who: issuer(a.source) }), zones: zoneNames(a.zones, 6) }),
      label: t("reason"), value: reason.value.trim(),
      ok: fill(t(kind === "cancel" ? "cancel_ok" : "clear_ok"), names),
    });
    if (!text) return;
    const done = await act(api(`/api/v1/alerts/${a.alert_id}/${kind === "cancel" ? "cancel" : "all-clear"}`,
      { method: "POST", body: { reason: text } }));
    if (done) endReasons.delete(a.alert_id);
  };
  return h("form", { class: "end-alert", onclick: (e) => e.stopPropagation(), onsubmit: end("all_clear") },
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
  showReach();
}

// How many zones and teams on duty the alert being written would reach, as the server counts
// them, shown as zones are chosen and before the alert is issued. An answer that arrives after
// a later choice is dropped.
let reachAsked = 0;
let reachShown = { key: null, zones: 0, teams: 0 };

function showReach() {
  const out = $("#alert-reach");
  const { key, zones, teams } = reachShown;
  out.textContent = key ? fill(t("alert_reach"), { zones: plural("zones", zones), teams: plural("teams", teams) })
    : t("alert_reach_none");
  out.classList.toggle("reaches-teams", Boolean(key) && teams > 0);
  out.dataset.zones = String(zones);
  out.dataset.teams = String(teams);
}

export async function updateReach() {
  const form = $("#issue-alert");
  const zones = [...form.pcode.selectedOptions].map((o) => o.value);
  const key = zones.join(",");
  const asked = ++reachAsked;
  if (!zones.length) { reachShown = { key: null, zones: 0, teams: 0 }; showReach(); return; }
  try {
    const answer = await api("/api/v1/alerts/preview", { method: "POST", body: { zones } });
    if (asked !== reachAsked) return;
    reachShown = { key, zones: answer.zones, teams: answer.teams };
  } catch {
    if (asked === reachAsked) reachShown = { key: null, zones: 0, teams: 0 };
  }
  showReach();
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
  updateReach();
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
    updateReach();
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
