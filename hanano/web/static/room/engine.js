// The engine's own reasons (a pull-back order and its end, an alert's reason) worded in the
// page's language from their parts (`reason_parts`: a code and its values, written by the server
// beside its English sentence). The server's sentence stands in for events from before there
// were parts, and for a part this page does not know; an engine alert without parts reads, in
// Arabic, its CAP description (the alert's own Arabic text).
import { get } from "./state.js";
import { fill, t, tt } from "./i18n.js";
import { num, percent, pluralCategory, teamLabel, unit } from "./numbers.js";
import { time, withTimes } from "./util.js";
import { trackText, zoneName } from "./zones.js";

const WORDS = {
  en: {
    order: "Pull back {team} ({state}) from {site}: threat {threat_id} ({threat}) covers the site ({where}) while it is under double-tap watch until {until}",
    site_at_risk: "Pull back {team} from {site}: {threat} gives this site a {chance} chance of a strike within {horizon} min, above the {limit} limit{watched}",
    site_at_risk_near: "Pull back {team} from {site}: {threat} gives this site a {chance} chance of a strike within {radius} m in the next {horizon} min, above the {limit} limit{watched}",
    watched: " for a site under double-tap watch",
    site: "{incident} in {zone}", inside: "inside the zone", from_it: "{m} m from it",
    alert_threat: "{level} alert {alert_id} for {zones}", more_zones: "{zones} and {n} more",
    team_free: "{team} is free again (task {task}): pull-back {order} no longer stands",
    team_withdrawn: "{team} was withdrawn (task {task}): pull-back {order} no longer stands",
    zones_rose: { one: "{n} zone rose to {level}", other: "{n} zones rose to {level}" },
    track: "{track} ({aircraft}, {activity}) at ±{sigma} m, {speed} m/s; {shape}; {imminent} imminent, {warning} warning, {watch} watch",
    circling: "circling", overhead: "overhead", in_flight: "in flight",
    too_uncertain: "position too uncertain to warn any zone",
    no_heading: "no usable heading yet, so only zones within moments",
    corridor: "a {width}° corridor on heading {heading}°",
    track_chance: "{track} ({aircraft}, {activity}) at ±{sigma} m, {speed} m/s, {shape}; highest chance of a strike within {horizon} min {top}%; {imminent} imminent, {warning} warning, {watch} watch",
    hovering: "hovering", no_heading_now: "no usable heading", heading: "heading {heading}°",
    on_routes: "no heading yet, on the usual routes from {base} ({tracks} past tracks)",
    track_public: "{track} ({aircraft}, {activity}), {shape}",
    no_threat: "no threat to these zones for {minutes} min", expired: "; operator's alert {ids} expired",
    no_threat_above: "no threat above {level} to these zones for {minutes} min",
    still_level: "still {level} after {alert_id} was ended ({ended}): a live threat or another operator's alert holds these zones",
    sep: ", ", in_english: "In English",
    foreign: "{sender}'s alert {identifier}", foreign_levels: "urgency {urgency}, severity {severity}",
    in_language: "in {language}: “{text}”",
    cap_urgency: { Immediate: "immediate", Expected: "expected", Future: "future", Past: "past", Unknown: "unknown" },
    cap_severity: { Extreme: "extreme", Severe: "severe", Moderate: "moderate", Minor: "minor", Unknown: "unknown" },
  },
  ar: {
    order: "اسحب {team} ({state}) من {site}: التهديد {threat_id} ({threat}) يشمل الموقع ({where}) وهو تحت مراقبة الضربة المزدوجة حتى {until}",
    site_at_risk: "اسحبوا {team} من {site}: {threat} تجعل احتمال ضربة على هذا الموقع خلال {horizon} د {chance}، فوق حد {limit}{watched}",
    site_at_risk_near: "اسحبوا فريق {team} من الموقع {site}: {threat} تجعل احتمال ضربة على بعد {radius} م من هذا الموقع خلال {horizon} دقيقة {chance}، فوق حد {limit}{watched}",
    watched: " لموقع تحت مراقبة الضربة المزدوجة",
    site: "{incident} في {zone}", inside: "داخل المنطقة", from_it: "على بعد {m} م منها",
    alert_threat: "إنذار {level} {alert_id} لـ{zones}", more_zones: "{zones} و{n} غيرها",
    team_free: "{team} متاح من جديد (المهمة {task}): لم يعد أمر الانسحاب {order} قائماً",
    team_withdrawn: "سُحب {team} (المهمة {task}): لم يعد أمر الانسحاب {order} قائماً",
    zones_rose: {
      zero: "لم ترتفع أي منطقة إلى {level}", one: "ارتفعت منطقة واحدة إلى {level}",
      two: "ارتفعت منطقتان إلى {level}", few: "ارتفعت {n} مناطق إلى {level}",
      many: "ارتفعت {n} منطقة إلى {level}", other: "ارتفعت {n} منطقة إلى {level}",
    },
    track: "{track} ({aircraft}، {activity}) بدقة ±{sigma} م، {speed} م/ث؛ {shape}؛ وشيك {imminent}، تحذير {warning}، ترقب {watch}",
    circling: "تحوم", overhead: "فوق المنطقة", in_flight: "في الجو",
    too_uncertain: "موقعها غير دقيق بما يكفي لإنذار أي منطقة",
    no_heading: "لا اتجاه يُعتمد عليه بعد، فأُنذرت المناطق القريبة جداً فقط",
    corridor: "ممر بعرض {width}° على اتجاه {heading}°",
    track_chance: "{track} ({aircraft}، {activity}) بدقة ±{sigma} م، {speed} م/ث، {shape}؛ أعلى احتمال لضربة خلال {horizon} د {top}٪؛ وشيك {imminent}، تحذير {warning}، ترقب {watch}",
    hovering: "تحوم في مكانها", no_heading_now: "لا اتجاه يُعتمد عليه", heading: "باتجاه {heading}°",
    on_routes: "لا اتجاه بعد، على المسارات المعتادة من {base} ({tracks} مسارات سابقة)",
    track_public: "{track} ({aircraft}، {activity})، {shape}",
    no_threat: "لا تهديد لهذه المناطق منذ {minutes} د", expired: "؛ انتهى إنذار المشغّل {ids}",
    no_threat_above: "لا تهديد فوق مستوى {level} لهذه المناطق منذ {minutes} د",
    still_level: "ما زالت {level} بعد إنهاء {alert_id} ({ended}): تهديد قائم أو إنذار مشغّل آخر يشمل هذه المناطق",
    sep: "، ", in_english: "بالإنجليزية",
    foreign: "إنذار {identifier} من {sender}", foreign_levels: "الإلحاح {urgency}، الشدة {severity}",
    in_language: "باللغة {language}: «{text}»",
    cap_urgency: { Immediate: "فوري", Expected: "متوقع", Future: "مستقبلي", Past: "انقضى", Unknown: "غير معروف" },
    cap_severity: { Extreme: "قصوى", Severe: "شديدة", Moderate: "متوسطة", Minor: "طفيفة", Unknown: "غير معروفة" },
  },
};

const lang = () => (get("lang") === "ar" ? "ar" : "en");
const w = (key, values = {}) => fill(WORDS[lang()][key] ?? WORDS.en[key], values);
const team = (id) => teamLabel(get("teams").get(id), id);
const level = (l) => tt("alert_level", l);

function counted(key, n, values) {
  const forms = WORDS[lang()][key];
  return fill(forms[pluralCategory(n)] ?? forms.other, { ...values, n: num(n) });
}

function zoneList(pcodes, shown = 3) {
  const names = pcodes.slice(0, shown).map(zoneName).join(w("sep"));
  return pcodes.length > shown ? w("more_zones", { zones: names, n: num(pcodes.length - shown) }) : names;
}

function threatWords(p) {
  if (p?.code === "alert") return w("alert_threat", { level: level(p.level), alert_id: p.alert_id, zones: zoneList(p.pcodes || []) });
  if (p?.code === "manual") return p.text;
  return null;
}

function shapeWords(s) {
  if (s?.code === "too_uncertain" || s?.code === "no_heading") return w(s.code);
  if (s?.code === "corridor") return w("corridor", { width: num(s.width_deg), heading: num(s.heading_deg) });
  return null;
}

// The probability model's parts (`top_percent`): how it moves and the highest chance it gives.
function chanceWords(p) {
  const s = p.shape;
  const how = s?.code === "hovering" ? w("hovering") : s?.code === "no_heading" ? w("no_heading_now")
    : s?.code === "heading" ? w("heading", { heading: num(s.heading_deg) })
    : s?.code === "route" ? w("on_routes", { base: s.base_id, tracks: num(s.tracks) }) : null;
  if (how === null || !WORDS.en[p.activity]) return null;
  const c = p.counts || {};
  // An alert repeats only the public parts of its track's reason (no uncertainty or chance).
  if (p.sigma_m === undefined) {
    return w("track_public", { track: p.track_id, aircraft: tt("aircraft_kind", p.aircraft), activity: w(p.activity), shape: how });
  }
  return w("track_chance", { track: p.track_id, aircraft: tt("aircraft_kind", p.aircraft), activity: w(p.activity),
    sigma: num(p.sigma_m), speed: num(p.speed_mps), shape: how, horizon: num(p.horizon_min),
    top: num(p.top_percent), imminent: num(c.imminent || 0), warning: num(c.warning || 0), watch: num(c.watch || 0) });
}

function trackWords(p) {
  if (p?.code === "track" && (p.top_percent !== undefined || p.sigma_m === undefined)) return chanceWords(p);
  const shape = shapeWords(p?.shape);
  if (p?.code !== "track" || shape === null || !WORDS.en[p.activity]) return null;
  const c = p.counts || {};
  return w("track", { track: p.track_id, aircraft: tt("aircraft_kind", p.aircraft), activity: w(p.activity),
    sigma: num(p.sigma_m), speed: num(p.speed_mps), shape, imminent: num(c.imminent || 0),
    warning: num(c.warning || 0), watch: num(c.watch || 0) });
}

// A live track's reason: why it threatens what it does, from its threat's parts. A reason
// without parts (an assessment from before there were parts) is the engine's English sentence,
// said to be English on an Arabic page.
export function trackReason(track) {
  const words = trackWords(track.reason_parts) ?? foreignWords(track.reason_parts);
  if (words !== null) return words;
  if (!track.reason) return "";
  return lang() === "ar" ? `${w("in_english")}: ${track.reason}` : track.reason;
}

// A threat marked on the map: one the engine derived from an alert is worded from that alert.
export function threatReason(threat) {
  const alert = threat.source === "alert" && get("alerts").find((a) => a.alert_id === threat.alert_id);
  if (!alert) return threat.reason;
  return w("alert_threat", { level: level(alert.level), alert_id: alert.alert_id,
    zones: zoneList(alert.zones.map((z) => z.pcode)) });
}

// An order by its site's probability, worded here so its numbers read in the page's digits.
function siteAtRisk(p) {
  const site = p.pcode ? w("site", { incident: p.incident_id, zone: zoneName(p.pcode) }) : p.incident_id;
  // Orders since sites got their own probability name how near a strike counts.
  const key = p.radius_m ? "site_at_risk_near" : "site_at_risk";
  return w(key, { team: team(p.team_id), site, threat: trackText(p.threat_id, p.aircraft),
    chance: percent(p.probability), horizon: num(p.horizon_min), limit: percent(p.limit),
    radius: p.radius_m ? num(p.radius_m) : "", watched: p.watched ? w("watched") : "" });
}

// The chance and the threat behind an order, short: "42 % chance · TRK-3 (helicopter)".
export function orderChance(order) {
  const p = order.reason_parts;
  if (order.probability === null || order.probability === undefined) return "";
  return fill(t("pullback_chance"), { chance: percent(order.probability),
    track: trackText(order.threat_id ?? p?.threat_id, p?.aircraft) });
}

// A pull-back order's reason; its ISO time shown in local time, as everywhere on the page.
export function orderReason(order) {
  const p = order.reason_parts;
  if (p?.code === "site_at_risk" && p.probability !== undefined && p.team_id) return [siteAtRisk(p)];
  const threat = threatWords(p?.threat);
  if (p?.code !== "threat_covers_watched_site" || threat === null) {
    // An order by the site's probability carries its own Arabic sentence.
    return withTimes(lang() === "ar" && order.reason_ar ? order.reason_ar : order.reason);
  }
  const site = p.pcode ? w("site", { incident: p.incident_id, zone: zoneName(p.pcode) }) : p.incident_id;
  return withTimes(w("order", { team: team(p.team_id), state: tt("state", p.state), site,
    threat_id: p.threat_id, threat, where: p.distance_m ? w("from_it", { m: num(p.distance_m) }) : w("inside"),
    until: p.until }));
}

// How an order ended.
export function orderEnding(order) {
  const p = order.ended_reason_parts;
  if (p?.code !== "team_free" && p?.code !== "team_withdrawn") {
    // An order that ended as its site's risk passed carries its own Arabic sentence.
    return lang() === "ar" && order.ended_reason_ar ? order.ended_reason_ar : order.ended_reason || "";
  }
  return w(p.code, { team: team(p.team_id), task: p.task_id, order: p.order_id });
}

// An alert's reason (or the reason of the alert that ended it): the engine's in parts, an
// operator's as typed.
export function alertReason(alert) {
  const p = alert.reason_parts;
  const words = partsWords(p);
  if (words !== null) return words;
  if (lang() === "ar" && alert.source !== "operator" && alert.description_ar) return alert.description_ar;
  return alert.reason || "";
}

// A language's name in the page's language ("الإنجليزية" for en-US on the Arabic page).
function languageName(tag) {
  try { return new Intl.DisplayNames([lang()], { type: "language" }).of(tag) || tag; } catch { return tag; }
}

// A foreign alert's headline in the reader's language where the agency gave one; else the
// English one (or the first), said to be in that language.
export function headlineIn(headlines) {
  const given = Object.entries(headlines || {});
  if (!given.length) return null;
  const mine = given.find(([tag]) => tag.toLowerCase().split("-")[0] === lang());
  if (mine) return mine[1];
  const [tag, text] = given.find(([l]) => l.toLowerCase().startsWith("en")) || given[0];
  return w("in_language", { language: languageName(tag), text });
}

// Another agency's alert behind a threat: who sent it, and its headline or its levels.
function foreignWords(p) {
  if (p?.code !== "foreign") return null;
  const who = w("foreign", { sender: p.sender, identifier: p.identifier });
  const said = headlineIn(p.headlines);
  if (said) return `${who}: ${said}`;
  const words = WORDS[lang()];
  return `${who}: ${w("foreign_levels", { urgency: words.cap_urgency[p.urgency] ?? p.urgency ?? "",
    severity: words.cap_severity[p.severity] ?? p.severity ?? "" })}`;
}

function partsWords(p) {
  switch (p?.code) {
    case "zones_rose": {
      const rose = counted("zones_rose", p.count, { level: level(p.level) });
      const threat = trackWords(p.threat) ?? foreignWords(p.threat);
      return threat === null ? (p.threat ? null : rose) : `${rose}: ${threat}`;
    }
    case "no_threat":
      return w("no_threat", { minutes: num(p.minutes) })
        + (p.expired?.length ? w("expired", { ids: p.expired.join(w("sep")) }) : "");
    case "no_threat_above": return w("no_threat_above", { level: level(p.level), minutes: num(p.minutes) });
    case "still_level":
      return w("still_level", { level: level(p.level), alert_id: p.alert_id, ended: p.ended });
    default: return null;
  }
}

// A double-tap watch's reason, from its parts: since when and for how long, the team's name in
// the reader's language and the time in local time.
export function watchReason(w) {
  const p = w.reason_parts;
  if (!p) return w.reason;
  const values = { min: unit(p.minutes, "minute"), at: time(p.at).textContent };
  if (p.code === "after_arrival") {
    values.team = teamLabel(get("teams").get(p.team_id), p.team);
    return fill(t("watch_after_arrival"), values);
  }
  return fill(t("watch_after_strike"), values);
}
