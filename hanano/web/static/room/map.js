// The map: the city's zones coloured by alert level, incidents by severity and status, teams by
// task, hospitals, aircraft tracks, double-tap watches, threats and road closures.
import { get } from "./state.js";
import { t, tt } from "./i18n.js";
import { num, teamLabel, unit } from "./numbers.js";
import { $, h, LEVEL_COLOUR, SEV_COLOUR, STATE_COLOUR, minutesLeft } from "./util.js";
import { chanceText, etaText, featureName, zoneLevels } from "./zones.js";
import { openDetail } from "./detail.js";
import { threatReason } from "./engine.js";
import { teamState } from "./boards/teams.js";
import { pickZone } from "./boards/alerts.js";
import { reportThreat } from "./boards/safety.js";
import { clusterMarker, declutterZoneLabels, edgePoint, keepThreatsInView, leaderLine, teamGroups } from "./maplabels.js";

let map, layerControl;
// From this zoom on every zone is named on the map.
const LABEL_ZOOM = 14;
const layers = {};
const zoneShapes = new Map();
const incidentMarks = new Map();
const overlayAdded = [];

export const hasMap = () => Boolean(map);
export const getMap = () => map;
export const layer = (name) => layers[name];
// Called when the user turns on an overlay (the coverage layer loads only then).
export const onOverlayAdd = (fn) => overlayAdded.push(fn);

export function initMap() {
  if (map) return;
  map = L.map("map", { zoomControl: true, attributionControl: true, preferCanvas: false,
    minZoom: 11, maxZoom: 18 }).setView([36.205, 37.16], 13);
  map.attributionControl.setPrefix(false);
  // Areas lie under the points: a watch circle or a zone must never catch an incident's click.
  map.createPane("zones").style.zIndex = 300;
  map.createPane("areas").style.zIndex = 350;
  // Roads lie over the zones' fill and under everything that can be clicked; thousands of lines
  // are one canvas, not thousands of SVG paths.
  map.createPane("roads").style.zIndex = 320;
  layers.roadRenderer = L.canvas({ pane: "roads", padding: 0.5 });
  // A closure's mark stands where its report was, often on the incident itself: below it.
  map.createPane("closures").style.zIndex = 380;
  // Aircraft over everything, zone names included: a label must never hide a threat.
  map.createPane("aircraft").style.zIndex = 700;
  credit();
  for (const name of ["zone", "road", "closedRoad", "watch", "threat", "incident", "hospital", "team", "track"]) {
    layers[name] = L.layerGroup().addTo(map);
  }
  // Off until asked for: the shading would hide the alert levels under it.
  layers.coverage = L.layerGroup();
  map.on("overlayadd", (e) => { for (const fn of overlayAdded) fn(e.layer); });
  layerSwitch();
  map.on("click", (e) => { if (get("threatMode")) reportThreat(e.latlng); });
  map.on("zoomend", () => {
    $("#map").classList.toggle("labels", map.getZoom() >= LABEL_ZOOM);
    paintZones();  // zone labels are built as the zoom comes to show them
    drawTeams();  // which labels would overlap depends on the zoom
  });
  // Which zone labels collide, and which aircraft are out of view, depend on the view.
  map.on("moveend", () => { declutterSoon(); drawTracks(); });
  $("#map").classList.toggle("labels", map.getZoom() >= LABEL_ZOOM);
  renderLegend();
}

// The map's credit in the page's language.
let credited = null;
export function credit() {
  if (!map) return;
  if (credited) map.attributionControl.removeAttribution(credited);
  credited = t("map_credit");
  map.attributionControl.addAttribution(credited);
}

// The layer switch in the page's language (Leaflet takes the names once, so it is rebuilt).
export function layerSwitch() {
  if (!map) return;
  if (layerControl) layerControl.remove();
  const name = (key) => tt("layer", key);
  const overlays = {
    [name("incidents")]: layers.incident, [name("teams")]: layers.team,
    [name("hospitals")]: layers.hospital, [name("aircraft")]: layers.track,
    [name("watches")]: layers.watch, [name("threats")]: layers.threat, [name("roads")]: layers.road,
  };
  if (get("can").coverage) overlays[name("coverage")] = layers.coverage;
  layerControl = L.control.layers(null, overlays, { position: "topright" }).addTo(map);
}

export function drawZones() {
  if (!map) return;
  layers.zone.clearLayers();
  zoneShapes.clear();
  const bounds = L.latLngBounds([]);
  for (const f of get("zones")) {
    const shape = L.geoJSON(f, {
      pane: "zones",
      style: { className: `zone zone-${f.id}`, color: "#7b8794", weight: 1, fillOpacity: 0.06,
        fillColor: "#7b8794" },
    });
    shape.on("click", () => (get("pickZone") ? pickZone(f.id) : openDetail("zone", f.id)));
    shape.addTo(layers.zone);
    zoneShapes.set(f.id, shape);
    bounds.extend(shape.getBounds());
  }
  // At once, not animated: an animation would draw every mark a second time after the page is ready.
  if (bounds.isValid()) map.fitBounds(bounds.pad(-0.15), { animate: false });
  paintZones();
}

// Zone names show when zoomed in to the streets, and an imminent zone's at every zoom (the
// stylesheet hides the rest). A label is built only while it shows: binding, measuring and
// decluttering a hundred hidden labels cost the first load a third of a second.
const labelShown = (current) => map.getZoom() >= LABEL_ZOOM || current?.level === "imminent";

// A zone's label, bound, worded and classed as its alert level says; hidden, a zone a live track
// threatens still tells its chance of a strike on hover, and any other is unbound.
function labelZone(shape, f, current) {
  const shown = labelShown(current);
  const chance = chanceText(f.id, shown);
  if (!shown && !chance) {
    if (shape.getTooltip()) shape.unbindTooltip();
    return;
  }
  const eta = current ? etaText(current.alert, current.zone) : "";
  const words = [featureName(f), shown ? "" : current ? tt("alert_level", current.level) : "", eta, chance]
    .filter(Boolean).join(" · ");
  const level = current ? ` alerted level-${current.level}` : "";
  const className = shown ? `zone-label${level}` : "zone-chance";
  let tip = shape.getTooltip();
  if (tip && tip.options.permanent !== shown) { shape.unbindTooltip(); tip = null; }
  if (!tip) {
    shape.bindTooltip(words, { permanent: shown, direction: shown ? "center" : "auto", className });
    return;
  }
  // Setting a tooltip's content measures it (a forced layout): only when the words change.
  if (tip.getContent() !== words) tip.setContent(words);
  tip.options.className = className;
  const el = tip.getElement?.();
  if (el && shown) el.className = el.className.replace(/ ?(alerted|level-\S+)/g, "") + level;
}

const STRENGTH = { imminent: 0.6, warning: 0.3, watch: 0.22 };

export function paintZones() {
  if (!map) return;
  const levels = zoneLevels();
  const features = new Map(get("zones").map((f) => [f.id, f]));
  for (const [pcode, shape] of zoneShapes) {
    const current = levels.get(pcode);
    const colour = current ? LEVEL_COLOUR[current.level] : "#7b8794";
    shape.setStyle({ fillColor: colour, fillOpacity: current ? STRENGTH[current.level] : 0.06,
      color: current ? colour : "#7b8794", weight: current ? 2 : 1 });
    shape.eachLayer((item) => {
      const el = item.getElement?.();
      if (el) el.dataset.level = current ? current.level : "none";
    });
    const f = features.get(pcode);
    if (f) labelZone(shape, f, current);
  }
  declutterSoon();
}

// Which labels collide is measured once the labels stand where they will be drawn: in the next
// frame, once for any number of repaints before it.
let declutterAsked = false;
function declutterSoon() {
  if (declutterAsked) return;
  declutterAsked = true;
  requestAnimationFrame(() => { declutterAsked = false; declutterZoneLabels(); });
}

function incidentStyle(i) {
  const sev = Math.max(0, Math.min(5, i.severity || 0));
  const done = i.status === "cleared" || i.status === "closed";
  return {
    radius: 5 + sev * 1.6, fillColor: SEV_COLOUR[sev], fillOpacity: done ? 0.3 : 0.9,
    color: i.status === "responding" ? "#3b82f6" : done ? "#2fa84f" : "#ffffff",
    weight: i.status === "responding" ? 3 : 1.5, opacity: done ? 0.5 : 1,
    className: `incident incident-${i.id} status-${i.status}`,
  };
}

export function drawIncidents() {
  const seen = new Set();
  for (const i of get("incidents").values()) {
    if (!i.location || i.location.lat === null || i.location.lat === undefined) continue;
    seen.add(i.id);
    let mark = incidentMarks.get(i.id);
    // One incident read again leaves the other 999 as they were: only a changed record is drawn.
    if (mark && mark.drawn === i) continue;
    const at = [i.location.lat, i.location.lon];
    if (!mark) {
      mark = L.circleMarker(at, incidentStyle(i)).addTo(layers.incident);
      mark.on("click", () => openDetail("incident", i.id));
      incidentMarks.set(i.id, mark);
    } else {
      mark.setLatLng(at).setStyle(incidentStyle(i));
      const el = mark.getElement?.();
      if (el) el.setAttribute("class", `leaflet-interactive ${incidentStyle(i).className}`);
    }
    mark.getElement?.()?.setAttribute("data-id", i.id);
    mark.drawn = i;
  }
  for (const [id, mark] of incidentMarks) {
    if (!seen.has(id)) { mark.remove(); incidentMarks.delete(id); }
  }
}

export function drawTeams() {
  layers.team.clearLayers();
  for (const group of teamGroups(map)) {
    if (group.cluster) {
      clusterMarker(map, group, (id) => openDetail("team", id)).addTo(layers.team);
      continue;
    }
    for (const m of group.members) {
      const dx = m.label.x - m.p.x, dy = m.label.y - m.p.y;
      const moved = Math.hypot(dx, dy) > 1;
      if (moved) {
        leaderLine(map, m.p, m.label).addTo(layers.team);
        L.circleMarker([m.at.lat, m.at.lon], { radius: 4, color: "#111", weight: 2, fillColor: "#fff",
          fillOpacity: 1, interactive: false, className: "team-point" }).addTo(layers.team);
      }
      teamMarker(m.team, m.at, dx, dy, moved).addTo(layers.team);
    }
  }
}

function teamMarker(team, at, dx, dy, stacked) {
  const state = teamState(team);
  const icon = L.divIcon({
    className: "", iconSize: null,
    html: `<div class="team-mark${stacked ? " stacked" : ""}" style="--c:${STATE_COLOUR[state] || "#2fa84f"};--dx:${dx.toFixed(1)}px;--dy:${dy.toFixed(1)}px"></div>`,
  });
  const marker = L.marker([at.lat, at.lon], { icon, title: teamLabel(team), keyboard: false });
  marker.on("add", () => {
    const el = marker.getElement()?.querySelector(".team-mark");
    if (el) { el.textContent = teamLabel(team); el.dataset.team = team.id; el.dataset.state = state; }
  });
  marker.on("click", () => openDetail("team", team.id));
  return marker;
}

export function drawHospitals() {
  layers.hospital.clearLayers();
  for (const hosp of get("hospitals")) {
    const icon = L.divIcon({ className: "", iconSize: null,
      html: `<div class="hospital-mark status-${hosp.status}">✚</div>` });
    const marker = L.marker([hosp.location.lat, hosp.location.lon], { icon, title: hosp.name,
      keyboard: false });
    marker.on("click", () => openDetail("hospital", hosp.id));
    marker.addTo(layers.hospital);
  }
}

export function drawTracks() {
  layers.track.clearLayers();
  keepThreatsInView(map);
  for (const track of get("tracks")) {
    // A dark dashed ring on a white one reads on every zone colour, red included.
    for (const [colour, weight, dash] of [["#ffffff", 4, null], ["#111111", 2, "6 5"]]) {
      L.circle([track.lat, track.lon], { radius: track.uncertainty_m || 500, color: colour, weight,
        dashArray: dash, fill: false, interactive: false, pane: "areas", className: "track-area" }).addTo(layers.track);
    }
    const turn = track.heading_deg ?? 0;
    const icon = L.divIcon({ className: "", iconSize: null,
      html: `<div class="track-mark${track.zones?.length ? " threat" : ""}" data-track="${track.id}" style="--r:${turn}deg"><span>✈</span></div>` });
    const marker = L.marker([track.lat, track.lon], { icon, title: track.id, keyboard: false, pane: "aircraft" });
    marker.on("click", () => openDetail("track", track.id));
    marker.addTo(layers.track);
    const edge = track.zones?.length ? edgePoint(map, track) : null;
    if (edge) {
      const arrow = L.divIcon({ className: "", iconSize: null,
        html: `<div class="track-edge" data-track="${track.id}" style="--r:${edge.turn.toFixed(0)}deg"><span>➤</span>✈</div>` });
      L.marker(edge.at, { icon: arrow, title: track.id, keyboard: false, pane: "aircraft" })
        .on("click", () => map.panTo([track.lat, track.lon])).addTo(layers.track);
    }
  }
}

// Every watch's circle, kept from one drawing to the next: the time left in its tooltip moves
// every few seconds, and a thousand circles drawn again each time would stall the page.
const watchMarks = new Map();
export function drawWatches() {
  const seen = new Set();
  for (const w of get("watches")) {
    const key = `${w.incident_id}|${w.location.lat},${w.location.lon}`;
    seen.add(key);
    const text = `${t("watch")}: ${unit(minutesLeft(w.until), "minute")} ${t("left")}`;
    const circle = watchMarks.get(key);
    if (circle) {
      circle.setTooltipContent(text);
      continue;
    }
    const made = L.circle([w.location.lat, w.location.lon], { radius: 150, color: "#f5a623",
      weight: 2, dashArray: "6 4", fillOpacity: 0.08, className: "watch", pane: "areas" });
    made.bindTooltip(text);
    made.on("click", () => openDetail("incident", w.incident_id));
    made.addTo(layers.watch);
    watchMarks.set(key, made);
  }
  for (const [key, circle] of watchMarks) {
    if (!seen.has(key)) { circle.remove(); watchMarks.delete(key); }
  }
}

export function drawThreats() {
  layers.threat.clearLayers();
  for (const c of get("closures")) {
    if (!c.location || c.location.lat === null) continue;
    const icon = L.divIcon({ className: "", iconSize: null, html: '<div class="closure-mark">⛔</div>' });
    L.marker([c.location.lat, c.location.lon], { icon, keyboard: false, pane: "closures" })
      .bindTooltip(`${t("road_closed")}: ${c.reason || ""}`).addTo(layers.threat);
  }
  for (const threat of get("threats")) {
    if (!threat.point || !threat.radius_m) continue;
    L.circle([threat.point.lat, threat.point.lon], { radius: threat.radius_m, color: "#e0202a",
      weight: 2, fillOpacity: 0.12, pane: "areas" }).bindTooltip(`${t("threat")}: ${threatReason(threat)}`)
      .addTo(layers.threat);
  }
}

// The map's key, open beside a wide map and closed on a phone's, where it would cover a good
// part of the map; the dispatcher opens or closes it at will after that.
const NARROW = "(max-width: 760px)";
let legendPlaced = false;

export function renderLegend() {
  if (!legendPlaced) {
    legendPlaced = true;
    $("#legend").open = !matchMedia(NARROW).matches;
  }
  $("#legend-body").replaceChildren(
    h("div", {}, h("b", {}, t("legend_incidents")),
      ...[1, 2, 3, 4, 5].map((s) => h("span", { class: "dot", style: `--c:${SEV_COLOUR[s]}` }, num(s)))),
    h("div", {}, h("b", {}, t("legend_teams")),
      ...["free", "en_route", "on_scene", "transporting", "returning"].map((s) =>
        h("span", { class: "chip", style: `--c:${STATE_COLOUR[s]}` }, tt("state", s)))),
    h("div", {}, h("b", {}, t("legend_zones")),
      ...["watch", "warning", "imminent"].map((s) =>
        h("span", { class: "chip", style: `--c:${LEVEL_COLOUR[s]}` }, tt("alert_level", s)))),
    ...(get("roadsId") ? [h("div", {}, h("span", { class: "road-key" }), t("roads"),
      h("span", { class: "road-key closed" }), t("closed_roads"))] : []),
  );
}
