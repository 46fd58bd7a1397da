// The last hour, from what the screens hold and what the stream has brought since.
import { addStreamed, get, serverNow } from "../state.js";
import { TEXT, fill, t, tt } from "../i18n.js";
import { num, teamLabel } from "../numbers.js";
import { $, empty, h, time } from "../util.js";
import { namePlaces, placeName, zoneName, zoneNames } from "../zones.js";
import { openDetail } from "../detail.js";
import { headlineIn } from "../engine.js";
import { drawWhenShown } from "../tabs.js";

export function addTimeline(type, message) {
  if (!message.time || type.startsWith("user.") || type.startsWith("token.")) return;
  // Kept as the event's own data and worded only when drawn, so a switch of language rewords
  // the whole hour.
  addStreamed({ at: message.time, type, data: message.data || {}, kind: type.split(".")[0] });
}

// One line of the timeline in the page's language: the event type's template from i18n.js, its
// {placeholders} filled from the event's data, names and states translated.
function timelineText(type, d) {
  const zones = Array.isArray(d.zones) ? d.zones : [];
  const values = {
    team: teamLabel(get("teams").get(d.team_id), d.team_id),
    kind: d.kind && tt("kind", d.kind),
    state: d.state && tt("state", d.state),
    duty: d.duty && tt("state", d.duty),
    status: d.status && tt("status", d.status),
    hospital_status: d.status && tt("hospital_status", d.status),
    level: d.level && tt("alert_level", d.level),
    aircraft: d.aircraft && tt("aircraft_kind", d.aircraft),
    hospital: get("hospitals").find((x) => x.id === d.hospital_id)?.name || d.hospital_id,
    zone: zoneName(d.pcode),
    zones: zones.slice(0, 3).map((z) => zoneName(typeof z === "string" ? z : z.pcode))
      .join(get("lang") === "ar" ? "، " : ", ") + (zones.length > 3 ? ` +${num(zones.length - 3)}` : ""),
    zone_count: num(zones.length),
  };
  if (type === "dispatch.threat_reported" && d.source === "alert") return alertThreat(d);
  // Another agency's alert: its headline in the reader's language where it gave one.
  const headline = type === "warning.foreign_alert_received" ? headlineIn(d.headlines) ?? d.headline : null;
  const template = (TEXT[get("lang")].tl || {})[type];
  if (!template) return t("tl_other").replace("{event}", type.replace(/^[a-z]+\./, "").replaceAll("_", " "));
  const line = template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? d[k] ?? ""));
  return headline ? `${line}: ${headline}` : line;
}

// A threat the engine derived from an alert: worded from that alert, its zones by name.
function alertThreat(d) {
  const alert = get("alerts").find((a) => a.alert_id === d.alert_id);
  const zones = alert ? zoneNames(alert.zones, 3) + (alert.zones.length > 3 ? ` +${num(alert.zones.length - 3)}` : "") : "";
  return fill(t("threat_from_alert"), { level: alert ? tt("alert_level", alert.level) : "",
    alert_id: d.alert_id, zones });
}

// The same happening seen twice (in a list the page holds and over the stream) shows once.
const TIMELINE_KEYS = {
  "intake.incident_opened": (d) => `opened:${d.incident_id}`,
  "warning.alert_issued": (d) => `alert:${d.alert_id}`,
  "dispatch.pullback_ordered": (d) => `pullback:${d.order_id}`,
};

function held() {
  const items = [];
  for (const i of get("incidents").values()) {
    items.push({ at: i.opened_at, key: `opened:${i.id}`, text: `${t("opened")} ${i.id} · ${placeName(i)}`, kind: "intake", ref: ["incident", i.id] });
  }
  for (const a of get("alerts")) {
    items.push({ at: a.sent, key: `alert:${a.alert_id}`, text: `${t("alert")} ${tt("alert_level", a.level)} · ${zoneNames(a.zones, 2)}`, kind: "warning", ref: ["alert", a.alert_id] });
  }
  for (const p of get("pullbacks")) {
    items.push({ at: p.issued_at, key: `pullback:${p.id}`, text: `${t("pullback")} ${p.id} · ${teamLabel(get("teams").get(p.team_id), p.team_id)}`, kind: "dispatch" });
  }
  return items;
}

export function renderTimeline() {
  drawWhenShown("timeline", drawTimeline);
}

function drawTimeline() {
  const cutoff = serverNow() - 3600 * 1000;
  const items = held();
  for (const x of get("streamed")) {
    const d = x.data;
    const key = TIMELINE_KEYS[x.type]?.(d) || `${x.at}|${x.type}|${d.report_id || d.incident_id || d.team_id || d.track_id || d.closure_id || ""}`;
    items.push({ at: x.at, key, text: timelineText(x.type, d), kind: x.kind,
      ref: d.incident_id ? ["incident", d.incident_id] : null });
  }
  const seen = new Set();
  const recent = items.filter((x) => x.at && Date.parse(x.at) >= cutoff)
    .sort((a, b) => String(b.at).localeCompare(String(a.at)))
    .filter((x) => { if (seen.has(x.key)) return false; seen.add(x.key); return true; })
    .slice(0, 200);
  $("#timeline").replaceChildren(...(recent.length ? recent.map((x) => h("li", {
    class: `row tl-${x.kind}`, onclick: x.ref ? () => openDetail(...x.ref) : null },
  h("span", { class: "when" }, time(x.at)), h("span", { class: "main" }, namePlaces(x.text))))
    : empty()));
}
