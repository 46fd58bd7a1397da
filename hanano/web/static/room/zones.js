// The city's zones: their names in the page's language and the alert level each stands at.
import { get, serverNow } from "./state.js";
import { fill, listSep, t, tt } from "./i18n.js";
import { num, percent, unit } from "./numbers.js";

const ar = () => get("lang") === "ar";

export const featureName = (f) => (ar() ? f.properties.name_ar : f.properties.name_en);

export function zoneName(pcode) {
  const f = pcode && get("zones").find((z) => z.id === pcode);
  if (!f) return pcode || t("unknown_place");
  return featureName(f);
}

// An alert's zones by name: as an older alert names them, else the city's (newer alerts name
// their zones by P-code only).
export function zoneNames(zones, n) {
  return zones.slice(0, n).map((z) => (ar() ? z.name_ar : z.name_en) || zoneName(z.pcode)).join(ar() ? "، " : ", ");
}

// Zones by name in the page's language, for a list to choose from.
export function sortedZones() {
  return [...get("zones")].map((f) => [f.id, featureName(f)])
    .sort((a, b) => a[1].localeCompare(b[1], get("lang")));
}

export function placeName(i) {
  const n = i.neighbourhood;
  if (!n) return t("unknown_place");
  return ar() ? n.name_ar : n.name_en;
}

export const alertNumber = (a) => Number(String(a.alert_id).split("-").pop()) || 0;

// A zone stands at the level of the last alert that named it; an all-clear brings it down.
export function zoneLevels() {
  const levels = new Map();
  const ordered = [...get("alerts")].sort((a, b) => alertNumber(a) - alertNumber(b));
  for (const alert of ordered) {
    for (const z of alert.zones) {
      if (alert.level === "all_clear") levels.delete(z.pcode);
      else levels.set(z.pcode, { level: alert.level, alert, zone: z });
    }
  }
  return levels;
}

export function etaText(alert, zone) {
  if (zone.eta_min_s === null || zone.eta_min_s === undefined) return "";
  const sent = Date.parse(alert.sent);
  const lo = Math.floor(Math.max(0, (sent + zone.eta_min_s * 1000 - serverNow()) / 60000));
  const hi = Math.ceil(Math.max(0, (sent + (zone.eta_max_s ?? zone.eta_min_s) * 1000 - serverNow()) / 60000));
  // A window already reached is due now; one starting now is "under" its end, never "0–0".
  if (hi <= 0) return t("eta_now");
  if (lo === 0) return fill(t("eta_under"), { hi: unit(hi, "minute") });
  return fill(t("eta_range"), { lo: num(lo), hi: unit(Math.max(hi, lo + 1), "minute") });
}

let zoneIndex = { zones: null, byCode: new Map() };
const zoneByCode = () => {
  if (zoneIndex.zones !== get("zones")) {
    zoneIndex = { zones: get("zones"), byCode: new Map(get("zones").map((f) => [f.id, f])) };
  }
  return zoneIndex.byCode;
};

// Text worded by the server names zones by code ("N0129, N0130, ..."): a person reads their
// names, the first three of a long list and how many more.
const CODE_RUN = /\b[A-Z]{1,4}\d{2,}\b(?:(?:,\s*|\s+)\b[A-Z]{1,4}\d{2,}\b)*/g;
export function namePlaces(text) {
  const known = zoneByCode();
  if (!known.size) return String(text ?? "");
  return String(text ?? "").replace(CODE_RUN, (run) => {
    const codes = run.split(/,\s*|\s+/);
    if (!codes.some((c) => known.has(c))) return run;
    const names = codes.map((c) => (known.has(c) ? featureName(known.get(c)) : c));
    const more = names.length > 3 ? ` ${fill(t("more_zones"), { n: num(names.length - 3) })}` : "";
    return names.slice(0, 3).join(listSep()) + more;
  });
}

// A zone's probability of a strike within the warning horizon and the track behind it, as the
// server gives them to operational roles (none for the rest).
export function zoneChance(pcode) {
  const found = get("zoneThreats").find((z) => z.pcode === pcode);
  if (!found || found.probability === null || found.probability === undefined) return null;
  return { probability: found.probability, threat_id: found.threat_id,
    track: get("tracks").find((tr) => tr.id === found.threat_id) || null };
}

// A track by its id and aircraft type, in the page's language.
// A threat that is another agency's alert has an id made of a hash (foreign:5e71…): it is named
// for what it is, in the page's language.
export const trackText = (id, aircraft) => (String(id ?? "").startsWith("foreign:") ? t("foreign_threat")
  : aircraft ? `${id} (${tt("aircraft_kind", aircraft)})` : String(id ?? ""));

// "42 % chance of a strike · T-3 (helicopter)", or "" where no chance is known; short, for a
// label on the map, "42 % · T-3 (helicopter)".
export function chanceText(pcode, short = false) {
  const c = zoneChance(pcode);
  if (!c) return "";
  return fill(t(short ? "zone_chance_short" : "zone_chance"), { chance: percent(c.probability), track: trackText(c.threat_id, c.track?.aircraft) });
}
