// Where the phone is: its GPS position, or a neighbourhood chosen from the city's list (kept
// on the phone so it can be chosen offline); and which neighbourhood a position falls in.
import { call } from "./net.js";
import { lang } from "./i18n.js";

const ZONES = "hanano.field.zones";

export const zones = () => JSON.parse(localStorage.getItem(ZONES) || "[]");

// The outer rings only, to a few metres: enough to tell which zone a phone stands in.
function rings(geometry) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates]
    : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  return polygons.map((p) => p[0].map(([x, y]) => [Math.round(x * 1e5) / 1e5, Math.round(y * 1e5) / 1e5]));
}

export async function loadZones() {
  if (zones().length || !navigator.onLine) return zones();
  const { features } = await call("/api/v1/neighbourhoods");
  const kept = features.map((f) => ({ ...f.properties, rings: rings(f.geometry) }));
  localStorage.setItem(ZONES, JSON.stringify(kept));
  return kept;
}

export const zoneLabel = (zone) => (lang() === "ar" ? zone.name_ar : zone.name_en) || zone.pcode;

function inside(ring, lon, lat) {
  let within = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) within = !within;
  }
  return within;
}

export const zoneAt = (lat, lon) => zones().find((z) => z.rings.some((r) => inside(r, lon, lat)));

// The phone's position, or null if it has none to give within the wait.
export function position(waitMs = 15000) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) { resolve(null); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: Math.max(1, p.coords.accuracy) }),
      () => resolve(null), { enableHighAccuracy: true, timeout: waitMs, maximumAge: 60000 });
  });
}

// Where the phone stands, as last known, for the alerts.
const HERE = "hanano.field.here";
export const here = () => localStorage.getItem(HERE);
export function standIn(pcode) {
  if (pcode) localStorage.setItem(HERE, pcode);
}
