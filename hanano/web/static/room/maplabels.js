// Where the map's words go: team labels tied to their teams (a short stack with leader lines,
// or one cluster where many share a spot), zone labels that never cover each other, and
// aircraft threatening the city kept in view (or pointed at from the map's edge).
import { get } from "./state.js";
import { fill, listSep, t } from "./i18n.js";
import { plural, teamLabel } from "./numbers.js";
import { h } from "./util.js";

// Teams whose points lie within this many pixels of each other are one group.
const NEAR_PX = 40;
// A group of more than this many teams is drawn as one cluster, not a stack of labels.
const STACK_MAX = 4;
const ROW_PX = 26;

// Groups of teams by where they stand on screen, each with where its labels go: a group of one
// is labelled at its point; a small group is stacked in a column beside the group's centre,
// each label joined to its team by a leader line; a big group is one cluster at its centre.
export function teamGroups(map) {
  const groups = [];
  const teams = [...get("teams").values()].sort((a, b) => teamLabel(a).localeCompare(teamLabel(b), get("lang")));
  for (const team of teams) {
    const at = team.position || team.base;
    if (!at) continue;
    const p = map.latLngToLayerPoint([at.lat, at.lon]);
    let group = groups.find((g) => g.members.some((m) => m.p.distanceTo(p) < NEAR_PX));
    if (!group) { group = { members: [] }; groups.push(group); }
    group.members.push({ team, at, p });
  }
  for (const g of groups) {
    const n = g.members.length;
    const x = g.members.reduce((s, m) => s + m.p.x, 0) / n;
    const y = g.members.reduce((s, m) => s + m.p.y, 0) / n;
    g.centre = L.point(x, y);
    g.cluster = n > STACK_MAX;
    // Labels of a stack sit in a column centred on the group, each at most a few rows away.
    g.members.forEach((m, k) => {
      m.label = n === 1 ? m.p : L.point(x, y + (k - (n - 1) / 2) * ROW_PX);
    });
  }
  return groups;
}

// A line from a team's true point to its label, drawn under the labels.
export function leaderLine(map, from, to) {
  return L.polyline([map.layerPointToLatLng(from), map.layerPointToLatLng(to)], {
    color: "#111", weight: 2, opacity: 0.9, interactive: false, className: "team-leader",
  });
}

// One cluster standing for several teams: their count, their names on hover and in a list.
export function clusterMarker(map, group, open) {
  const names = group.members.map((m) => teamLabel(m.team));
  const icon = L.divIcon({ className: "", iconSize: null,
    html: '<div class="team-cluster"></div>' });
  const marker = L.marker(map.layerPointToLatLng(group.centre), { icon, keyboard: false,
    title: fill(t("teams_here"), { names: names.join(listSep()) }) });
  marker.on("add", () => {
    const el = marker.getElement()?.querySelector(".team-cluster");
    if (!el) return;
    el.textContent = plural("teams", names.length);
    el.dataset.teams = group.members.map((m) => m.team.id).join(" ");
  });
  const list = h("ul", { class: "plain cluster-list" }, ...group.members.map((m) => h("li", {},
    h("button", { class: "link", onclick: () => { map.closePopup(); open(m.team.id); } }, teamLabel(m.team)))));
  marker.bindPopup(list);
  return marker;
}

// Zone labels, most urgent first, each hidden where it would cover one already placed.
const LABEL_RANK = { imminent: 0, warning: 1, watch: 2 };

export function declutterZoneLabels() {
  const labels = [...document.querySelectorAll("#map .zone-label")];
  for (const el of labels) el.classList.remove("crowded");
  // A label whose zone was drawn again fades out for a moment before Leaflet removes it (its
  // opacity set to 0): it must not crowd out the label that replaced it.
  const shown = labels.filter((el) => el.offsetParent !== null && el.style.opacity !== "0").map((el) => ({
    el, rank: LABEL_RANK[[...el.classList].find((c) => c.startsWith("level-"))?.slice(6)] ?? 3,
    box: el.getBoundingClientRect(),
  })).sort((a, b) => a.rank - b.rank || a.el.textContent.localeCompare(b.el.textContent));
  const placed = [];
  for (const item of shown) {
    if (placed.some((b) => overlaps(b, item.box))) item.el.classList.add("crowded");
    else placed.push(item.box);
  }
}

const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

// Tracks that threaten a zone are brought into view once each; one the dispatcher has since
// panned away from is pointed at from the map's edge.
const broughtIntoView = new Set();

export function keepThreatsInView(map) {
  const outside = get("tracks").filter((tr) => tr.zones?.length
    && !map.getBounds().contains([tr.lat, tr.lon]) && !broughtIntoView.has(tr.id));
  if (!outside.length) return;
  for (const tr of outside) broughtIntoView.add(tr.id);
  const bounds = map.getBounds();
  for (const tr of outside) bounds.extend([tr.lat, tr.lon]);
  // The view widened to hold the threat too, or, when even the widest cannot, moved to it.
  map.fitBounds(bounds, { padding: [40, 40], animate: false });
  const first = outside[0];
  if (!map.getBounds().contains([first.lat, first.lon])) {
    map.setView([first.lat, first.lon], map.getZoom(), { animate: false });
  }
}

// Where on the map's edge to point at a threatening track out of view, or null when in view.
export function edgePoint(map, track) {
  const size = map.getSize();
  const p = map.latLngToContainerPoint([track.lat, track.lon]);
  const pad = 24;
  if (p.x >= pad && p.y >= pad && p.x <= size.x - pad && p.y <= size.y - pad) return null;
  const c = size.divideBy(2);
  const dx = p.x - c.x, dy = p.y - c.y;
  const scale = Math.min((c.x - pad) / Math.abs(dx || 1e-9), (c.y - pad) / Math.abs(dy || 1e-9));
  return { at: map.containerPointToLatLng(L.point(c.x + dx * scale, c.y + dy * scale)),
    turn: Math.atan2(dy, dx) * 180 / Math.PI };
}
