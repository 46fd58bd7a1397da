// Coverage: each zone's nearest free team, the zones beyond reach and suggested moves of idle
// teams; on the map (when its layer is on) the zones shaded and each move drawn.
import { get, set, setCan } from "../state.js";
import { fill, listSep, t } from "../i18n.js";
import { num, teamLabel, unit } from "../numbers.js";
import { api } from "../api.js";
import { $, COVERAGE_COLOUR, h } from "../util.js";
import { zoneName } from "../zones.js";
import { getMap, layer, layerSwitch } from "../map.js";
import { openDetail } from "../detail.js";

let loadedAt = 0;
let timer = null;

async function loadCoverage() {
  try {
    const coverage = await api("/api/v1/coverage");
    if (!get("can").coverage) { setCan("coverage", true); layerSwitch(); }
    set({ coverage });
  } catch (error) {
    if (error.status === 403 || error.status === 404) { setCan("coverage", false); set({ coverage: null }); return; }
    throw error;
  }
}

// Coverage is computed over every zone and team: at most once in two seconds, whatever the
// stream brings meanwhile.
export async function refreshCoverage() {
  if (get("can").coverage === false || timer) return;
  const wait = 2000 - (Date.now() - loadedAt);
  if (wait > 0) {
    timer = setTimeout(() => {
      timer = null;
      refreshCoverage().catch((error) => { if (error.message !== "401") console.error(error); });
    }, wait);
    return;
  }
  loadedAt = Date.now();
  await loadCoverage();
}

function coverageSummary(c) {
  const min = num(c.threshold_min, 1);
  if (!c.zones.length) return c.summary;
  if (!c.teams_available) return t("coverage_no_team");
  if (!c.over_threshold.length) return fill(t("coverage_ok"), { min });
  return fill(t("coverage_summary"), { over: num(c.over_threshold.length), zones: num(c.zones.length), min });
}

// The server words each suggestion in English; in Arabic it is worded here from its fields.
function suggestionReason(s, c) {
  if (get("lang") === "en") return s.reason;
  const names = s.covers.slice(0, 5).map(zoneName).join(listSep()) + (s.covers.length > 5 ? ` +${s.covers.length - 5}` : "");
  let words = fill(t("coverage_reason"), { n: num(s.covers.length), min: num(c.threshold_min, 1), names });
  if (s.from_pcode !== s.to_pcode) words += `؛ ${fill(t("still_covered"), { from: zoneName(s.from_pcode) })}`;
  return words;
}

// The move once, in bold, then why: the server's English sentence starts with the move itself.
function moveLine(s, c) {
  const head = `Move ${s.team} to ${s.to}: `;
  if (get("lang") === "en" && s.reason.startsWith(head)) {
    return [h("b", {}, head.slice(0, -2)), h("small", { dir: "auto" }, `: ${s.reason.slice(head.length)}`)];
  }
  return [h("b", {}, moveText(s)), h("br"), h("small", { dir: "auto" }, suggestionReason(s, c))];
}

const moveText = (s) => fill(t("move"), { team: teamLabel(get("teams").get(s.team_id), s.team), to: zoneName(s.to_pcode) });

export function renderCoverage() {
  const box = $("#coverage");
  const c = get("coverage");
  box.hidden = !c;
  if (!c) return;
  const min = c.threshold_min;
  const over = c.zones.filter((z) => z.over);
  // The moves first: they are what a dispatcher acts on; then the worst zones, the rest counted.
  const shown = over.slice(0, 12);
  box.replaceChildren(...[
    h("h2", {}, t("coverage")),
    h("p", { class: `summary ${over.length ? "bad" : "good"}` }, coverageSummary(c)),
    c.suggestions.length ? h("h3", {}, t("suggested_moves")) : null,
    c.suggestions.length ? h("ol", { class: "moves" }, ...c.suggestions.map((s) => h("li", {
      class: "move", "data-team": s.team_id, "data-to": s.to_pcode }, ...moveLine(s, c)))) : null,
    c.suggestions.length ? h("p", { class: "hint" }, t("coverage_note")) : null,
    over.length && c.teams_available && !c.suggestions.length ? h("p", { class: "hint" }, t("coverage_stuck")) : null,
    over.length ? h("h3", {}, fill(t("coverage_zones"), { min: num(min, 1) })) : null,
    over.length ? h("ul", { class: "over-zones" }, ...shown.map((z) => h("li", {
      "data-pcode": z.pcode, onclick: () => openDetail("zone", z.pcode) },
    zoneName(z.pcode), " ", h("small", {}, z.travel_s === null ? t("no_team")
      : unit(Math.round(z.travel_s / 60), "minute")))),
    over.length > shown.length ? h("li", { class: "more" }, `+${num(over.length - shown.length)}`) : null) : null,
  ].filter(Boolean));
}

// With the coverage layer on: the zones beyond reach shaded, and each suggested move drawn as a
// dashed line from the team to the zone it would cover from.
export function drawCoverage() {
  const shading = layer("coverage");
  if (!shading) return;
  shading.clearLayers();
  const coverage = get("coverage");
  if (!getMap().hasLayer(shading) || !coverage) return;
  const over = new Set(coverage.over_threshold);
  for (const f of get("zones")) {
    if (!over.has(f.id)) continue;
    L.geoJSON(f, { pane: "zones", interactive: false, style: { className: `uncovered uncovered-${f.id}`,
      color: COVERAGE_COLOUR, weight: 1.5, dashArray: "5 4", fillColor: COVERAGE_COLOUR, fillOpacity: 0.3 } })
      .addTo(shading);
  }
  for (const s of coverage.suggestions) {
    const team = get("teams").get(s.team_id);
    const at = team?.position || team?.base;
    if (!at) continue;
    L.polyline([[at.lat, at.lon], [s.lat, s.lon]], { color: COVERAGE_COLOUR, weight: 3, dashArray: "8 6",
      interactive: false, className: "coverage-move" }).addTo(shading);
    L.circleMarker([s.lat, s.lon], { radius: 8, color: COVERAGE_COLOUR, weight: 3, fillOpacity: 0.25,
      className: "coverage-dest" })
      .bindTooltip(fill(t("move"), { team: teamLabel(team), to: zoneName(s.to_pcode) })).addTo(shading);
  }
}
