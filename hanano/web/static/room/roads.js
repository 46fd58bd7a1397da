// The imported road graph under everything, closed segments in red.
import { get, set, setCan } from "./state.js";
import { api } from "./api.js";
import { $ } from "./util.js";
import { hasMap, layer, renderLegend } from "./map.js";

// The encoded polyline format: per point, lat and lon deltas in 5-bit chunks.
export function decodePolyline(text, precision = 5) {
  const points = [];
  const scale = 10 ** precision;
  let i = 0, lat = 0, lon = 0;
  while (i < text.length) {
    const deltas = [0, 0];
    for (const axis of [0, 1]) {
      let shift = 0, result = 0, byte;
      do {
        byte = text.charCodeAt(i++) - 63;
        result |= (byte & 0x1f) << shift;
        shift += 5;
      } while (byte >= 0x20);
      deltas[axis] = result & 1 ? ~(result >> 1) : result >> 1;
    }
    lat += deltas[0];
    lon += deltas[1];
    points.push([lat / scale, lon / scale]);
  }
  return points;
}

// The lines come once per graph (the server answers 304 while it is the same); closed segments
// again on every closure.
export async function loadRoads() {
  if (!hasMap() || get("can").roads === false) return;
  let geometry;
  try {
    geometry = await api("/api/v1/roads/geometry");
    setCan("roads", true);
  } catch (error) {
    if (error.status === 403 || error.status === 404) { setCan("roads", false); return; }
    throw error;
  }
  // Told once the closed segments are drawn too, so the map's counts agree.
  let drawn;
  if (geometry.graph_id !== get("roadsId")) {
    set({ roadsId: geometry.graph_id });
    layer("road").clearLayers();
    const lines = geometry.lines.map((line) => decodePolyline(line, geometry.precision));
    if (lines.length) {
      L.polyline(lines, { renderer: layer("roadRenderer"), color: "#8d99a6", weight: 1.3, opacity: 0.6,
        interactive: false, smoothFactor: 1.5 }).addTo(layer("road"));
    }
    drawn = String(lines.length);
  }
  const closed = geometry.graph_id ? (await api("/api/v1/roads/geometry/closed")).closed : [];
  layer("closedRoad").clearLayers();
  const segments = closed.flatMap((c) => c.lines);
  if (segments.length) {
    L.polyline(segments, { renderer: layer("roadRenderer"), color: "#e0202a", weight: 5, opacity: 0.95,
      lineCap: "round", interactive: false }).addTo(layer("closedRoad"));
  }
  $("#map").dataset.closedRoads = String(segments.length);
  if (drawn !== undefined) $("#map").dataset.roads = drawn;
  renderLegend();
}
