// The operations room: one page over the JSON API and the live stream. Every change arrives over
// Server-Sent Events and is applied at once; nothing polls. Text from the field is only ever set
// as text, never as markup.
import { TEXT } from "./i18n.js";

const S = {
  session: null, lang: localStorage.getItem("hanano.lang") || "en",
  zones: [], incidents: new Map(), teams: new Map(), tasks: new Map(), hospitals: [],
  alerts: [], tracks: [], watches: [], pullbacks: [], threats: [], closures: [], board: null,
  recs: new Map(), selected: null, detail: null, tab: "queue",
  clock: { server: Date.now(), local: Date.now(), speed: 1 },
  can: {}, roadsId: undefined,
  // Per incident: its worksites and victims (without names); names fetched one by one, only for
  // the roles the API gives them to, and only when asked.
  sites: new Map(), identities: new Map(), coverage: null,
};
const FIELD_ROLES = ["admin", "dispatcher", "team_leader"];
const COMMAND_ROLES = ["admin", "dispatcher"];
const canField = () => FIELD_ROLES.includes(S.session?.role);
const canCommand = () => COMMAND_ROLES.includes(S.session?.role);
// A team leader acts for their own team only (the API refuses the rest with a 403), so the page
// offers them no buttons for other teams.
const ownTeam = () => (S.session?.role === "team_leader" ? S.session.team || null : null);
const mayActFor = (teamId) => canField() && (S.session.role !== "team_leader" || ownTeam() === teamId);
const COVERAGE_COLOUR = "#a855f7";
const LEVEL_COLOUR = { imminent: "#e0202a", warning: "#f08a24", watch: "#e8c62a" };
const SEV_COLOUR = ["#9aa3ad", "#f2d14b", "#f5a623", "#f06a2b", "#d8282f", "#8e0d3c"];
const STATE_COLOUR = {
  free: "#2fa84f", assigned: "#e0a800", en_route: "#e0a800", on_scene: "#d8282f",
  transporting: "#8e44ad", at_hospital: "#8e44ad", returning: "#1b9aaa", off_duty: "#6c757d",
  unavailable: "#6c757d",
};

// --- small helpers ------------------------------------------------------------------------

const $ = (sel) => document.querySelector(sel);
const t = (key) => TEXT[S.lang][key] ?? TEXT.en[key] ?? key;
const tt = (group, key) => (TEXT[S.lang][group] || {})[key] ?? key;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function serverNow() {
  const c = S.clock;
  return c.server + (Date.now() - c.local) * c.speed;
}

function syncClock(iso) {
  const at = Date.parse(iso);
  if (!Number.isNaN(at) && at > serverNow() - 1000 * S.clock.speed) {
    S.clock.server = at;
    S.clock.local = Date.now();
  }
}

function time(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const local = d.toLocaleTimeString(S.lang === "ar" ? "ar-SY" : "en-GB",
    { hour: "2-digit", minute: "2-digit" });
  return h("time", { datetime: iso, title: d.toISOString().replace(".000", "") + " UTC" }, local);
}

function ago(iso) {
  if (!iso) return "";
  const s = Math.max(0, (serverNow() - Date.parse(iso)) / 1000);
  if (s < 90) return `${Math.round(s)} ${t("sec")}`;
  if (s < 5400) return `${Math.round(s / 60)} ${t("min")}`;
  return `${(s / 3600).toFixed(1)} h`;
}

// A template's {placeholders} filled in.
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
}

const listSep = () => (S.lang === "ar" ? "، " : ", ");

function distanceKm(a, b) {
  const rad = Math.PI / 180;
  const dlat = (b.lat - a.lat) * rad, dlon = (b.lon - a.lon) * rad;
  const x = Math.sin(dlat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dlon / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(x));
}

// Server-worded text may carry an ISO timestamp (a watch's end in a pull-back's reason): shown
// in local time with UTC on hover, like every other time on the page.
const ISO_IN_TEXT = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))/;
function withTimes(text) {
  return String(text || "").split(ISO_IN_TEXT).map((part, n) => (n % 2 ? time(part) : part));
}

function toast(message, bad = false) {
  const el = $("#toast");
  el.textContent = message;
  el.className = bad ? "show bad" : "show";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.className = ""; }, 4000);
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  const method = options.method || "GET";
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && S.session?.csrf) headers["X-CSRF-Token"] = S.session.csrf;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (response.status === 401 && !options.login) { showLogin(); throw new Error("401"); }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const error = new Error(data?.detail || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

// Lists a role may not read, or that a server without that domain does not offer, are empty.
async function optional(path, key) {
  try {
    const data = await api(path);
    S.can[key] = true;
    return data[key] || [];
  } catch (error) {
    if (error.status === 403 || error.status === 404) { S.can[key] = false; return []; }
    throw error;
  }
}

async function act(promise) {
  try {
    const result = await promise;
    toast(t("done"));
    return result;
  } catch (error) {
    toast(error.status === 403 ? t("not_allowed") : `${t("failed")}: ${error.message}`, true);
    return null;
  }
}

// --- language and theme -------------------------------------------------------------------

function applyLanguage() {
  document.documentElement.lang = S.lang;
  document.documentElement.dir = S.lang === "ar" ? "rtl" : "ltr";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("#lang").textContent = S.lang === "ar" ? "English" : "العربية";
  setLive(Boolean(S.live));
  renderHelp();
  if (S.session?.authenticated) {
    renderAll(); labelZones(); renderLegend(); renderSightingForm(); layerSwitch();
  }
}

function toggleLanguage() {
  S.lang = S.lang === "ar" ? "en" : "ar";
  localStorage.setItem("hanano.lang", S.lang);
  applyLanguage();
}

function toggleTheme() {
  const dark = !document.documentElement.classList.contains("dark");
  document.documentElement.classList.toggle("dark", dark);
  localStorage.setItem("hanano.theme", dark ? "dark" : "light");
}

// --- login --------------------------------------------------------------------------------

function showLogin() {
  S.session = null;
  $("#room").hidden = true;
  $("#login").hidden = false;
  $("#logout").hidden = true;
  $("#who").textContent = "";
  if (S.stream) { S.stream.close(); S.stream = null; }
  api("/api/v1/session", { login: true }).then((s) => { S.prelogin = s.csrf; }).catch(() => {});
  $("#username").focus();
}

async function login(event) {
  event.preventDefault();
  $("#login-error").textContent = "";
  const form = event.target;
  try {
    if (!S.prelogin) S.prelogin = (await api("/api/v1/session", { login: true })).csrf;
    const session = await api("/api/v1/session", {
      method: "POST", login: true, headers: { "X-CSRF-Token": S.prelogin },
      body: { username: form.username.value, password: form.password.value },
    });
    form.password.value = "";
    await enter(session);
  } catch (error) {
    $("#login-error").textContent = error.status === 401 ? t("login_failed") : error.message;
  }
}

async function logout() {
  try { await api("/api/v1/session", { method: "DELETE" }); } catch { /* ended already */ }
  showLogin();
}

async function enter(session) {
  S.session = session;
  S.clock = { server: Date.parse(session.clock.now), local: Date.now(), speed: session.clock.speed };
  $("#login").hidden = true;
  $("#room").hidden = false;
  $("#logout").hidden = false;
  $("#who").textContent = `${session.username || session.user_id} · ${session.role}`;
  initMap();
  connect(session.clock.event_types || []);
  await loadAll();
  const mine = ownTeam() && S.teams.get(ownTeam());
  if (mine) $("#who").textContent += ` · ${mine.name}`;
  document.body.dataset.ready = "1";
  // Roads are scenery: drawn after the page is ready to use, never holding it back.
  loadRoads().catch((error) => { if (error.message !== "401") console.error(error); });
  schedule(["coverage"]);
}

// --- data ---------------------------------------------------------------------------------

async function loadAll() {
  const [zones, incidents, teams, tasks, hospitals, alerts, tracks, watches, pullbacks, threats,
    board, closures] = await Promise.all([
    api("/api/v1/neighbourhoods").then((d) => d.features),
    api("/api/v1/incidents?limit=5000").then((d) => d.incidents),
    optional("/api/v1/teams", "teams"),
    optional("/api/v1/tasks?active=true", "tasks"),
    optional("/api/v1/hospitals", "hospitals"),
    optional("/api/v1/alerts", "alerts"),
    optional("/api/v1/tracks", "tracks"),
    optional("/api/v1/watches", "watches"),
    optional("/api/v1/pullbacks", "pullbacks"),
    optional("/api/v1/threats", "threats"),
    api("/api/v1/board").catch(() => null),
    optional("/api/v1/roads/closures", "closures"),
  ]);
  S.zones = zones;
  // Threats are offered only by servers whose dispatch has rescuers' safety, to roles that may.
  $("#threat").hidden = !S.can.threats || !["admin", "dispatcher", "team_leader", "spotter"].includes(S.session.role);
  S.incidents = new Map(incidents.map((i) => [i.id, i]));
  S.teams = new Map(teams.map((x) => [x.id, x]));
  S.tasks = new Map(tasks.map((x) => [x.id, x]));
  Object.assign(S, { hospitals, alerts, tracks, watches, pullbacks, threats, board, closures });
  drawZones();
  renderSightingForm();
  layerSwitch();
  renderAll();
}

const refreshers = {
  incidents: async (ids) => {
    if (ids && ids.size && ids.size <= 20) {
      for (const id of ids) {
        try { S.incidents.set(id, await api(`/api/v1/incidents/${encodeURIComponent(id)}`)); }
        catch (error) { if (error.status === 404) S.incidents.delete(id); }
      }
    } else {
      const d = await api("/api/v1/incidents?limit=5000");
      S.incidents = new Map(d.incidents.map((i) => [i.id, i]));
    }
    S.recs.clear();
  },
  // A team registered, on or off duty, or moved changes every recommendation.
  teams: async () => { S.teams = new Map((await optional("/api/v1/teams", "teams")).map((x) => [x.id, x])); S.recs.clear(); },
  tasks: async () => { S.tasks = new Map((await optional("/api/v1/tasks?active=true", "tasks")).map((x) => [x.id, x])); S.recs.clear(); },
  hospitals: async () => { S.hospitals = await optional("/api/v1/hospitals", "hospitals"); },
  alerts: async () => { S.alerts = await optional("/api/v1/alerts", "alerts"); },
  tracks: async () => { S.tracks = await optional("/api/v1/tracks", "tracks"); },
  roads: () => loadRoads(),
  sites: async () => { if (S.detail?.kind === "incident") await loadSites(S.detail.id); },
  // Coverage is computed over every zone and team: at most once in two seconds, whatever the
  // stream brings meanwhile.
  coverage: async () => {
    if (S.can.coverage === false || S.coverageTimer) return;
    const wait = 2000 - (Date.now() - (S.coverageAt || 0));
    if (wait > 0) {
      S.coverageTimer = setTimeout(() => { S.coverageTimer = null; schedule(["coverage"]); }, wait);
      return;
    }
    S.coverageAt = Date.now();
    await loadCoverage();
  },
  safety: async () => {
    [S.watches, S.pullbacks, S.threats] = await Promise.all([
      optional("/api/v1/watches", "watches"), optional("/api/v1/pullbacks", "pullbacks"),
      optional("/api/v1/threats", "threats")]);
    S.board = await api("/api/v1/board").catch(() => null);
    if (S.can.closures !== false) S.closures = await optional("/api/v1/roads/closures", "closures");
  },
};
const pending = { kinds: new Set(), ids: new Set(), full: false, timer: null };

function schedule(kinds, ids = [], full = false) {
  for (const k of kinds) pending.kinds.add(k);
  for (const id of ids) pending.ids.add(id);
  pending.full ||= full;
  if (!pending.timer) pending.timer = setTimeout(flush, 60);
}

async function flush() {
  const kinds = [...pending.kinds];
  const ids = pending.full ? null : new Set(pending.ids);
  pending.kinds.clear(); pending.ids.clear(); pending.full = false; pending.timer = null;
  try {
    await Promise.all(kinds.map((k) => refreshers[k](k === "incidents" ? ids : undefined)));
  } catch (error) { if (error.message !== "401") console.error(error); }
  // What touches one part redraws only that part: redrawing the queue under the pointer can
  // swallow a click (pressed on one row, released on its replacement).
  if (kinds.length && kinds.every((k) => k in PARTIAL)) for (const k of kinds) PARTIAL[k]();
  else renderAll();
  // The open incident's recommendations, cleared by the change, are asked for again.
  if (S.detail?.kind === "incident" && !S.recs.has(S.detail.id)) loadIncidentDetail(S.detail.id);
}

const PARTIAL = {
  coverage: () => { renderCoverage(); drawCoverage(); },
  sites: () => { renderTimeline(); if (S.detail) renderDetail(); },  // an event: the last hour too
};

function onEvent(type, message) {
  if (message.time) syncClock(message.time);
  addTimeline(type, message);
  if (type.startsWith("dispatch.road")) schedule(["roads", "coverage"]);
  const d = message.data || {};
  const ids = ["incident_id", "target_id", "new_incident_id"].map((k) => d[k]).filter(Boolean);
  if (type.startsWith("intake.")) {
    schedule(["incidents", "safety"], ids, /merge|split/.test(type));
  } else if (type.startsWith("dispatch.hospital")) {
    schedule(["hospitals"]);
  } else if (type.startsWith("dispatch.team")) {
    schedule(["teams", "coverage"]);
  } else if (/dispatch\.(task|recommendation)/.test(type)) {
    schedule(["tasks", "teams", "incidents", "safety", "coverage"], ids);
  } else if (/dispatch\.(worksite|victim)/.test(type)) {
    schedule(["sites"]);
  } else if (type.startsWith("dispatch.")) {
    schedule(["safety", "tasks"]);
  } else if (type === "warning.alert_issued" || type === "alert") {
    schedule(["alerts", "safety"]);
  } else if (type.startsWith("warning.track") || type === "warning.threat_assessed") {
    schedule(["tracks"]);
  } else if (type === "incident") {
    S.incidents.set(message.id, message);
    schedule([]);
  }
}

function setLive(on) {
  S.live = on;
  $("#live").className = on ? "live on" : "live off";
  $("#live").textContent = on ? t("live") : S.session ? t("reconnecting") : t("offline");
}

function connect(types) {
  if (S.stream) S.stream.close();
  const stream = new EventSource("/api/v1/stream", { withCredentials: true });
  S.stream = stream;
  stream.onopen = () => {
    // Back after a break: what happened meanwhile never reached this page, so read it all again.
    if (S.wasDown) { S.wasDown = false; loadAll().catch(() => {}); }
    setLive(true);
  };
  stream.onerror = () => {
    setLive(false);
    S.wasDown = true;
    if (stream.readyState !== EventSource.CLOSED) return;  // the browser retries by itself
    // Refused outright: the session ended, or the server is away; find out which.
    setTimeout(async () => {
      if (S.stream !== stream) return;
      try {
        const session = await api("/api/v1/session", { login: true });
        if (session.authenticated) connect(types); else showLogin();
      } catch { setTimeout(() => connect(types), 3000); }
    }, 2000);
  };
  for (const type of [...types, "alert", "incident"]) {
    stream.addEventListener(type, (e) => onEvent(type, JSON.parse(e.data)));
  }
  stream.addEventListener("dropped", () => { stream.close(); setTimeout(() => connect(types), 1000); });
}

// --- map ----------------------------------------------------------------------------------

let roadLayer, closedRoadLayer, roadRenderer;
let map, zoneLayer, incidentLayer, teamLayer, hospitalLayer, trackLayer, watchLayer, threatLayer;
let coverageLayer, layerControl;
const zoneShapes = new Map();
const incidentMarks = new Map();

function initMap() {
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
  roadRenderer = L.canvas({ pane: "roads", padding: 0.5 });
  // A closure's mark stands where its report was, often on the incident itself: below it.
  map.createPane("closures").style.zIndex = 380;
  map.attributionControl.addAttribution("Neighbourhoods: OCHA (CC BY-IGO) · Leaflet");
  zoneLayer = L.layerGroup().addTo(map);
  roadLayer = L.layerGroup().addTo(map);
  closedRoadLayer = L.layerGroup().addTo(map);
  watchLayer = L.layerGroup().addTo(map);
  threatLayer = L.layerGroup().addTo(map);
  incidentLayer = L.layerGroup().addTo(map);
  hospitalLayer = L.layerGroup().addTo(map);
  teamLayer = L.layerGroup().addTo(map);
  trackLayer = L.layerGroup().addTo(map);
  // Off until asked for: the shading would hide the alert levels under it.
  coverageLayer = L.layerGroup();
  map.on("overlayadd", (e) => { if (e.layer === coverageLayer) { drawCoverage(); schedule(["coverage"]); } });
  layerSwitch();
  map.on("click", (e) => { if (S.threatMode) reportThreat(e.latlng); });
  map.on("zoomend", () => {
    $("#map").classList.toggle("labels", map.getZoom() >= 14);
    drawTeams();  // which labels would overlap depends on the zoom
  });
  $("#map").classList.toggle("labels", map.getZoom() >= 14);
  renderLegend();
}

// The layer switch in the page's language (Leaflet takes the names once, so it is rebuilt).
function layerSwitch() {
  if (!map) return;
  if (layerControl) layerControl.remove();
  const name = (key) => tt("layer", key);
  const overlays = {
    [name("incidents")]: incidentLayer, [name("teams")]: teamLayer,
    [name("hospitals")]: hospitalLayer, [name("aircraft")]: trackLayer,
    [name("watches")]: watchLayer, [name("threats")]: threatLayer, [name("roads")]: roadLayer,
  };
  if (S.can.coverage) overlays[name("coverage")] = coverageLayer;
  layerControl = L.control.layers(null, overlays, { position: "topright" }).addTo(map);
}

function drawZones() {
  zoneLayer.clearLayers();
  zoneShapes.clear();
  const bounds = L.latLngBounds([]);
  for (const f of S.zones) {
    const shape = L.geoJSON(f, {
      pane: "zones",
      style: { className: `zone zone-${f.id}`, color: "#7b8794", weight: 1, fillOpacity: 0.06,
        fillColor: "#7b8794" },
    });
    shape.on("click", () => (S.pickZone ? pickZone(f.id) : openDetail("zone", f.id)));
    shape.addTo(zoneLayer);
    zoneShapes.set(f.id, shape);
    bounds.extend(shape.getBounds());
  }
  if (bounds.isValid()) map.fitBounds(bounds.pad(-0.15));
  labelZones();
}

function labelZones() {
  for (const f of S.zones) {
    const shape = zoneShapes.get(f.id);
    if (!shape) continue;
    shape.unbindTooltip();
    shape.bindTooltip(S.lang === "ar" ? f.properties.name_ar : f.properties.name_en,
      { permanent: true, direction: "center", className: "zone-label" });
  }
}

// A zone stands at the level of the last alert that named it; an all-clear brings it down.
function zoneLevels() {
  const levels = new Map();
  const ordered = [...S.alerts].sort((a, b) => alertNumber(a) - alertNumber(b));
  for (const alert of ordered) {
    for (const z of alert.zones) {
      if (alert.level === "all_clear") levels.delete(z.pcode);
      else levels.set(z.pcode, { level: alert.level, alert, zone: z });
    }
  }
  return levels;
}

const alertNumber = (a) => Number(String(a.alert_id).split("-").pop()) || 0;

function etaText(alert, zone) {
  if (zone.eta_min_s === null || zone.eta_min_s === undefined) return "";
  const sent = Date.parse(alert.sent);
  const lo = Math.max(0, (sent + zone.eta_min_s * 1000 - serverNow()) / 60000);
  const hi = Math.max(0, (sent + (zone.eta_max_s ?? zone.eta_min_s) * 1000 - serverNow()) / 60000);
  return `${t("eta")} ${Math.floor(lo)}–${Math.ceil(hi)} ${t("min")}`;
}

function paintZones() {
  const levels = zoneLevels();
  for (const [pcode, shape] of zoneShapes) {
    const current = levels.get(pcode);
    const colour = current ? LEVEL_COLOUR[current.level] : "#7b8794";
    const strength = { imminent: 0.6, warning: 0.3, watch: 0.22 };
    shape.setStyle({ fillColor: colour, fillOpacity: current ? strength[current.level] : 0.06,
      color: current ? colour : "#7b8794", weight: current ? 2 : 1 });
    shape.eachLayer((layer) => {
      const el = layer.getElement?.();
      if (el) el.dataset.level = current ? current.level : "none";
    });
    const f = S.zones.find((z) => z.id === pcode);
    const name = f ? (S.lang === "ar" ? f.properties.name_ar : f.properties.name_en) : pcode;
    const eta = current ? etaText(current.alert, current.zone) : "";
    const tip = shape.getTooltip();
    if (tip) {
      tip.setContent(eta ? `${name} · ${eta}` : name);
      tip.options.className = `zone-label ${current ? `alerted level-${current.level}` : ""}`;
      const el = tip.getElement?.();
      if (el) el.className = el.className.replace(/ ?(alerted|level-\S+)/g, "") + (current ? ` alerted level-${current.level}` : "");
    }
  }
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

function drawIncidents() {
  const seen = new Set();
  for (const i of S.incidents.values()) {
    if (!i.location || i.location.lat === null || i.location.lat === undefined) continue;
    seen.add(i.id);
    let mark = incidentMarks.get(i.id);
    const at = [i.location.lat, i.location.lon];
    if (!mark) {
      mark = L.circleMarker(at, incidentStyle(i)).addTo(incidentLayer);
      mark.on("click", () => openDetail("incident", i.id));
      incidentMarks.set(i.id, mark);
    } else {
      mark.setLatLng(at).setStyle(incidentStyle(i));
      const el = mark.getElement?.();
      if (el) el.setAttribute("class", `leaflet-interactive ${incidentStyle(i).className}`);
    }
    mark.getElement?.()?.setAttribute("data-id", i.id);
  }
  for (const [id, mark] of incidentMarks) {
    if (!seen.has(id)) { mark.remove(); incidentMarks.delete(id); }
  }
}

function teamState(team) {
  if (team.duty !== "on_duty") return team.duty;
  const task = team.task_id && S.tasks.get(team.task_id);
  return task ? task.state : "free";
}

// Teams standing at (nearly) the same spot on screen, often at one centre, share it: their
// labels are stacked in a column around the first one's point instead of drawn over each other.
function teamStacks() {
  const stacks = [];
  const teams = [...S.teams.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const team of teams) {
    const at = team.position || team.base;
    if (!at) continue;
    const p = map.latLngToLayerPoint([at.lat, at.lon]);
    let stack = stacks.find((x) => Math.abs(x.p.x - p.x) < 90 && Math.abs(x.p.y - p.y) < 24 * x.members.length);
    if (!stack) { stack = { p, members: [] }; stacks.push(stack); }
    stack.members.push({ team, at, p });
  }
  const offsets = new Map();
  for (const { p, members } of stacks) {
    members.forEach((m, k) => offsets.set(m.team.id, {
      dx: p.x - m.p.x, dy: p.y - m.p.y + (k - (members.length - 1) / 2) * 26, stacked: members.length > 1,
    }));
  }
  return offsets;
}

function drawTeams() {
  teamLayer.clearLayers();
  const offsets = teamStacks();
  for (const team of S.teams.values()) {
    const at = team.position || team.base;
    if (!at) continue;
    const state = teamState(team);
    const off = offsets.get(team.id) || { dx: 0, dy: 0, stacked: false };
    const icon = L.divIcon({
      className: "", iconSize: null,
      html: `<div class="team-mark${off.stacked ? " stacked" : ""}" style="--c:${STATE_COLOUR[state] || "#2fa84f"};--dx:${off.dx.toFixed(1)}px;--dy:${off.dy.toFixed(1)}px"></div>`,
    });
    const marker = L.marker([at.lat, at.lon], { icon, title: team.name, keyboard: false });
    marker.on("add", () => {
      const el = marker.getElement()?.querySelector(".team-mark");
      if (el) { el.textContent = team.name; el.dataset.team = team.id; el.dataset.state = state; }
    });
    marker.on("click", () => openDetail("team", team.id));
    marker.addTo(teamLayer);
  }
}

function drawHospitals() {
  hospitalLayer.clearLayers();
  for (const hosp of S.hospitals) {
    const icon = L.divIcon({ className: "", iconSize: null,
      html: `<div class="hospital-mark status-${hosp.status}">✚</div>` });
    const marker = L.marker([hosp.location.lat, hosp.location.lon], { icon, title: hosp.name,
      keyboard: false });
    marker.on("click", () => openDetail("hospital", hosp.id));
    marker.addTo(hospitalLayer);
  }
}

function drawTracks() {
  trackLayer.clearLayers();
  for (const track of S.tracks) {
    L.circle([track.lat, track.lon], { radius: track.uncertainty_m || 500, color: "#e0202a",
      weight: 1, dashArray: "4 4", fillOpacity: 0.05, interactive: false, pane: "areas" }).addTo(trackLayer);
    const turn = track.heading_deg ?? 0;
    const icon = L.divIcon({ className: "", iconSize: null,
      html: `<div class="track-mark" style="--r:${turn}deg">✈</div>` });
    const marker = L.marker([track.lat, track.lon], { icon, title: track.id, keyboard: false });
    marker.on("click", () => openDetail("track", track.id));
    marker.addTo(trackLayer);
  }
}

function drawWatches() {
  watchLayer.clearLayers();
  for (const w of S.watches) {
    const left = Math.max(0, (Date.parse(w.until) - serverNow()) / 60000);
    const circle = L.circle([w.location.lat, w.location.lon], { radius: 150, color: "#f5a623",
      weight: 2, dashArray: "6 4", fillOpacity: 0.08, className: "watch", pane: "areas" });
    circle.bindTooltip(`${t("watch")}: ${Math.ceil(left)} ${t("min")} ${t("left")}`);
    circle.on("click", () => openDetail("incident", w.incident_id));
    circle.addTo(watchLayer);
  }
  threatLayer.clearLayers();
  for (const c of S.closures) {
    if (!c.location || c.location.lat === null) continue;
    const icon = L.divIcon({ className: "", iconSize: null, html: '<div class="closure-mark">⛔</div>' });
    L.marker([c.location.lat, c.location.lon], { icon, keyboard: false, pane: "closures" })
      .bindTooltip(`${t("road_closed")}: ${c.reason || ""}`).addTo(threatLayer);
  }
  for (const threat of S.threats) {
    if (!threat.point || !threat.radius_m) continue;
    L.circle([threat.point.lat, threat.point.lon], { radius: threat.radius_m, color: "#e0202a",
      weight: 2, fillOpacity: 0.12, pane: "areas" }).bindTooltip(`${t("threat")}: ${threat.reason}`)
      .addTo(threatLayer);
  }
}

// --- roads --------------------------------------------------------------------------------

// The encoded polyline format: per point, lat and lon deltas in 5-bit chunks.
function decodePolyline(text, precision = 5) {
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

// The imported road graph under everything, closed segments in red. The lines come once per
// graph (the server answers 304 while it is the same); closed segments again on every closure.
async function loadRoads() {
  if (!map || S.can.roads === false) return;
  let geometry;
  try {
    geometry = await api("/api/v1/roads/geometry");
    S.can.roads = true;
  } catch (error) {
    if (error.status === 403 || error.status === 404) { S.can.roads = false; return; }
    throw error;
  }
  if (geometry.graph_id !== S.roadsId) {
    S.roadsId = geometry.graph_id;
    roadLayer.clearLayers();
    const lines = geometry.lines.map((line) => decodePolyline(line, geometry.precision));
    if (lines.length) {
      L.polyline(lines, { renderer: roadRenderer, color: "#8d99a6", weight: 1.3, opacity: 0.6,
        interactive: false, smoothFactor: 1.5 }).addTo(roadLayer);
    }
    $("#map").dataset.roads = String(lines.length);
  }
  const closed = geometry.graph_id ? (await api("/api/v1/roads/geometry/closed")).closed : [];
  closedRoadLayer.clearLayers();
  const segments = closed.flatMap((c) => c.lines);
  if (segments.length) {
    L.polyline(segments, { renderer: roadRenderer, color: "#e0202a", weight: 5, opacity: 0.95,
      lineCap: "round", interactive: false }).addTo(closedRoadLayer);
  }
  $("#map").dataset.closedRoads = String(segments.length);
  renderLegend();
}

function renderLegend() {
  const legend = $("#legend");
  legend.replaceChildren(
    h("div", {}, h("b", {}, t("legend_incidents")),
      ...[1, 2, 3, 4, 5].map((s) => h("span", { class: "dot", style: `--c:${SEV_COLOUR[s]}` }, s))),
    h("div", {}, h("b", {}, t("legend_teams")),
      ...["free", "en_route", "on_scene", "transporting", "returning"].map((s) =>
        h("span", { class: "chip", style: `--c:${STATE_COLOUR[s]}` }, tt("state", s)))),
    h("div", {}, h("b", {}, t("legend_zones")),
      ...["watch", "warning", "imminent"].map((s) =>
        h("span", { class: "chip", style: `--c:${LEVEL_COLOUR[s]}` }, tt("alert_level", s)))),
    ...(S.roadsId ? [h("div", {}, h("span", { class: "road-key" }), t("roads"),
      h("span", { class: "road-key closed" }), t("closed_roads"))] : []),
  );
}

function armThreat() {
  if ($("#threat").hidden) return;
  S.threatMode = !S.threatMode;
  $("#map").classList.toggle("arming", S.threatMode);
  $("#threat").classList.toggle("on", S.threatMode);
  if (S.threatMode) toast(t("threat_click"));
}

async function reportThreat(latlng) {
  armThreat();
  const reason = await ask({ title: t("threat_title"), label: t("threat_reason"), ok: t("report_threat") });
  if (!reason) return;
  const done = await act(api("/api/v1/threats", { method: "POST",
    body: { lat: latlng.lat, lon: latlng.lng, radius_m: 500, reason } }));
  if (done) showTab("safety");
}

// crypto.randomUUID exists only in secure contexts; a laptop served over the LAN by plain http
// is not one, while getRandomValues works everywhere.
function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// A sighting relayed by radio: the early-warning engine turns it into alerts for the zones.
function renderSightingForm() {
  const form = $("#sighting");
  form.hidden = !["admin", "dispatcher", "spotter"].includes(S.session?.role) || S.can.alerts === false;
  if (form.hidden) return;
  const options = (select, values, label) => {
    const current = select.value;
    select.replaceChildren(...values.map(([v, text]) => h("option", { value: v }, text)));
    if (current) select.value = current;
    select.setAttribute("aria-label", label);
  };
  options(form.aircraft, ["helicopter", "fixed_wing", "drone", "unknown"].map((v) => [v, tt("aircraft_kind", v)]), t("aircraft"));
  options(form.activity, ["over", "circling"].map((v) => [v, tt("activity", v)]), t("activity_label"));
  const zones = [...S.zones].map((f) => [f.id, S.lang === "ar" ? f.properties.name_ar : f.properties.name_en])
    .sort((a, b) => a[1].localeCompare(b[1], S.lang));
  options(form.pcode, zones, t("zone"));
}

async function reportSighting(event) {
  event.preventDefault();
  const form = event.target;
  const body = { id: uuid4(), observed_at: new Date(serverNow()).toISOString(),
    aircraft: form.aircraft.value, activity: form.activity.value, pcode: form.pcode.value };
  await act(api("/api/v1/sightings", { method: "POST", body }));
}

// An operator's alert: zones from the list or clicked on the map, a level and a reason. It
// stands until cancelled or cleared from its row below (or it expires).
const ALERT_ROLES = ["admin", "dispatcher"];
const canIssue = () => ALERT_ROLES.includes(S.session?.role) && S.can.alerts !== false;

function renderIssueForm() {
  const form = $("#issue-alert");
  form.hidden = !canIssue();
  if (form.hidden) return;
  const chosen = new Set([...form.pcode.selectedOptions].map((o) => o.value));
  const zones = [...S.zones].map((f) => [f.id, S.lang === "ar" ? f.properties.name_ar : f.properties.name_en])
    .sort((a, b) => a[1].localeCompare(b[1], S.lang));
  form.pcode.replaceChildren(...zones.map(([v, text]) =>
    h("option", { value: v, selected: chosen.has(v) }, `${text} (${v})`)));
  const level = form.level.value || "warning";
  form.level.replaceChildren(...["watch", "warning", "imminent"].map((v) =>
    h("option", { value: v }, tt("alert_level", v))));
  form.level.value = level;
  form.level.setAttribute("aria-label", t("level"));
  form.reason.placeholder = t("reason");
  form.reason.setAttribute("aria-label", t("reason"));
}

function armZonePick() {
  S.pickZone = !S.pickZone;
  $("#map").classList.toggle("arming", S.pickZone);
  $("#pick-zone").classList.toggle("on", S.pickZone);
}

// A zone clicked on the map while picking joins (or leaves) the alert's zones.
function pickZone(pcode) {
  const option = [...$("#issue-alert").pcode.options].find((o) => o.value === pcode);
  if (option) option.selected = !option.selected;
}

async function issueAlert(event) {
  event.preventDefault();
  const form = event.target;
  const zones = [...form.pcode.selectedOptions].map((o) => o.value);
  if (!zones.length) { toast(t("choose_zone"), true); return; }
  const body = { zones, level: form.level.value, reason: form.reason.value.trim() };
  if (await act(api("/api/v1/alerts", { method: "POST", body }))) {
    form.reason.value = "";
    for (const o of form.pcode.options) o.selected = false;
    if (S.pickZone) armZonePick();
  }
}

// Cancel or all-clear for one alert, with the reason typed in its row (kept across redraws).
function endAlertControls(a) {
  if (!canIssue() || a.status !== "active" || a.level === "all_clear") return null;
  S.endReasons ||= {};
  const reason = h("input", { name: "reason", maxlength: "500", placeholder: t("reason"),
    "aria-label": t("reason"), value: S.endReasons[a.alert_id] || "",
    oninput: (e) => { S.endReasons[a.alert_id] = e.target.value; } });
  const end = (kind) => async (e) => {
    e.preventDefault();
    const text = reason.value.trim();
    if (!text) { reason.focus(); toast(t("reason_needed"), true); return; }
    const done = await act(api(`/api/v1/alerts/${a.alert_id}/${kind}`,
      { method: "POST", body: { reason: text } }));
    if (done) delete S.endReasons[a.alert_id];
  };
  return h("form", { class: "end-alert", onclick: (e) => e.stopPropagation(), onsubmit: end("all-clear") },
    reason,
    h("button", { type: "button", class: "cancel-alert", onclick: end("cancel") }, t("cancel_alert")),
    h("button", { type: "submit", class: "primary clear-alert" }, t("all_clear_alert")));
}

// --- boards -------------------------------------------------------------------------------

function queue() {
  return [...S.incidents.values()]
    .filter((i) => i.status === "open" || i.status === "responding")
    .sort((a, b) => (b.severity - a.severity)
      || String(b.last_report_at).localeCompare(String(a.last_report_at)));
}

function placeName(i) {
  const n = i.neighbourhood;
  if (!n) return t("unknown_place");
  return S.lang === "ar" ? n.name_ar : n.name_en;
}

function renderQueue() {
  const items = queue();
  $("#n-queue").textContent = items.length;
  const rows = items.slice(0, 300).map((i) => h("li", {
    class: `row incident-row ${S.selected === i.id ? "sel" : ""}`, "data-id": i.id,
    onclick: () => { S.selected = i.id; openDetail("incident", i.id); },
  },
  h("span", { class: "sev", style: `--c:${SEV_COLOUR[i.severity] || SEV_COLOUR[0]}` }, i.severity),
  h("span", { class: "main" },
    h("b", {}, `${i.id} · ${tt("kind", i.kind)}`), " ",
    h("span", { class: `pill status-${i.status}` }, tt("status", i.status)),
    h("br"), placeName(i),
    i.trapped ? h("span", { class: "warn" }, ` · ${i.trapped} ${t("trapped")}`) : null,
    i.casualties ? ` · ${i.casualties} ${t("casualties")}` : null,
    ...tasksOf(i.id).map((k) => h("span", { class: "chip small", style: `--c:${STATE_COLOUR[k.state] || "#888"}` },
      `${S.teams.get(k.team_id)?.name || k.team_id}: ${tt("state", k.state)}`))),
  h("span", { class: "when" }, time(i.last_report_at), h("br"), h("small", {}, `${i.report_count} ${t("reports")}`))));
  $("#queue").replaceChildren(...(rows.length ? rows : [h("li", { class: "empty" }, t("none"))]));
}

function tasksOf(incidentId) {
  return [...S.tasks.values()].filter((k) => k.incident_id === incidentId);
}

function taskFor(team) { return team.task_id ? S.tasks.get(team.task_id) : null; }

function renderTeams() {
  const teams = [...S.teams.values()].sort((a, b) => a.name.localeCompare(b.name));
  $("#n-teams").textContent = teams.length;
  const head = h("tr", {}, h("th", {}, t("team")), h("th", {}, t("task")),
    h("th", {}, t("in_state")), h("th", {}, t("actions")));
  const rows = teams.map((team) => {
    const task = taskFor(team);
    const state = teamState(team);
    const since = task ? task.times[task.state] : team.duty_since;
    return h("tr", { "data-team": team.id, "data-state": state, class: ownTeam() === team.id ? "mine" : null },
      h("td", {}, h("button", { class: "link", onclick: () => openDetail("team", team.id) }, team.name),
        h("br"), h("small", {}, `${team.crew} · ${team.sector}`)),
      h("td", {}, h("span", { class: "chip", style: `--c:${STATE_COLOUR[state] || "#888"}` },
        tt("state", state)),
      task ? h("button", { class: "link incident-link", onclick: () => openDetail("incident", task.incident_id) },
        task.incident_id) : null),
      h("td", { title: since || "" }, ago(since)),
      h("td", {}, h("div", { class: "acts" }, ...(task && mayActFor(team.id) ? task.legal_next : []).map((next) =>
        h("button", { class: `small ${next === "withdrawn" ? "danger" : ""}`,
          onclick: () => transition(task, next) }, tt("state", next))))));
  });
  $("#teams").replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
}

async function transition(task, state) {
  const body = { state };
  // Transporting names its hospital, chosen by the dispatcher; at hospital keeps that one.
  if (state === "transporting") {
    body.hospital_id = await chooseHospital(task);
    if (!body.hospital_id) return;
  }
  await act(api(`/api/v1/tasks/${task.id}/transition`, { method: "POST", body }));
}

function incidentPlace(incidentId) {
  const loc = S.incidents.get(incidentId)?.location;
  return loc && loc.lat !== null && loc.lat !== undefined ? loc : null;
}

// Open hospitals, nearest first, as choices in the dialog; the others are named, not offered.
function hospitalChoices(from) {
  const offered = S.hospitals.filter((x) => x.status === "open").map((x) => ({
    x, km: from && x.location ? distanceKm(from, x.location) : null,
  })).sort((a, b) => (a.km ?? Infinity) - (b.km ?? Infinity) || a.x.name.localeCompare(b.x.name));
  const refused = S.hospitals.filter((x) => x.status !== "open");
  return {
    options: offered.map(({ x, km }) => [x.id, x.name,
      `${km === null ? "" : `${km.toFixed(1)} ${t("km")} · `}${x.kind.replaceAll("_", " ")}`]),
    refusedText: refused.length ? fill(t("not_offered"), { list: refused.map((x) =>
      `${x.name} (${tt("hospital_status", x.status)})`).join(listSep()) }) : "",
  };
}

async function chooseHospital(task) {
  const team = S.teams.get(task.team_id);
  const from = incidentPlace(task.incident_id) || team?.position || team?.base;
  const { options, refusedText } = hospitalChoices(from);
  if (!options.length) { toast(t("no_open_hospital"), true); return null; }
  const values = await askForm({
    title: fill(t("transport_title"), { team: team?.name || task.team_id }),
    detail: [t("nearest_first"), refusedText].filter(Boolean).join(" "), ok: t("transport"),
    fields: [{ name: "hospital", label: t("destination"), type: "choice", required: true,
      value: options[0][0], options }],
  });
  return values?.hospital || null;
}

// --- coverage -----------------------------------------------------------------------------

async function loadCoverage() {
  try {
    S.coverage = await api("/api/v1/coverage");
    if (!S.can.coverage) { S.can.coverage = true; layerSwitch(); }
  } catch (error) {
    if (error.status === 403 || error.status === 404) { S.can.coverage = false; S.coverage = null; return; }
    throw error;
  }
}

function coverageSummary(c) {
  const min = String(c.threshold_min);
  if (!c.zones.length) return c.summary;
  if (!c.teams_available) return t("coverage_no_team");
  if (!c.over_threshold.length) return fill(t("coverage_ok"), { min });
  return fill(t("coverage_summary"), { over: c.over_threshold.length, zones: c.zones.length, min });
}

// The server words each suggestion in English; in Arabic it is worded here from its fields.
function suggestionReason(s, c) {
  if (S.lang === "en") return s.reason;
  const names = s.covers.slice(0, 5).map(zoneName).join(listSep()) + (s.covers.length > 5 ? ` +${s.covers.length - 5}` : "");
  let words = fill(t("coverage_reason"), { n: s.covers.length, min: c.threshold_min, names });
  if (s.from_pcode !== s.to_pcode) words += `؛ ${fill(t("still_covered"), { from: zoneName(s.from_pcode) })}`;
  return words;
}

// A recommendation's reason, worded in the page's language from its parts (the server's
// `reason_parts`); the server's English sentence stands in when a part is one this page does
// not know.
const rs = (key, values = {}) => fill(TEXT[S.lang].rs?.[key] ?? TEXT.en.rs[key], values);
const capWords = (caps, joiner) => caps.map((c) => tt("capability", c)).join(rs(joiner));
const duration = (p) => rs(p.unit === "h" ? "h" : "min", { n: p.value });

function partWords(p) {
  switch (p.code) {
    case "travel": {
      if (p.via !== "road" && p.via !== "straight_line") return null;
      let via = rs(`via_${p.via}`);
      if (p.no_open_road) via += p.within_min ? rs("no_open_road_within", { min: p.within_min }) : rs("no_open_road");
      return rs(p.at_least ? "travel_at_least" : "travel", { minutes: p.minutes, via });
    }
    case "origin":
      if (p.place === "position") return rs("origin_position");
      return p.position_age_min == null ? rs("origin_base") : rs("origin_stale", { age: p.position_age_min });
    case "crew_short": return rs("crew_short", { crew: p.crew, min_crew: p.min_crew });
    case "matches": return capWords(p.capabilities, "and");
    case "offers": return capWords(p.capabilities, "list") || rs("no_capability");
    case "lacks": return rs("lacks", { caps: capWords(p.capabilities, "or") });
    case "tired": return rs("tired", { hours: p.duty_hours });
    case "rested": return rs("rested", { duration: duration(p) });
    case "no_task_yet": return rs("no_task_yet", { duration: duration(p) });
    case "last_in_sector": return rs("last_in_sector", { sector: p.sector, rival: p.rival });
    default: return null;
  }
}

// The team's name is isolated (bdi) so that a Latin name does not pull the Arabic words and
// numbers after it into its own direction.
function reasonText(r) {
  const parts = r.reason_parts || [];
  const words = parts.map(partWords);
  if (parts[0]?.code !== "travel" || parts[1]?.code !== "origin" || words.includes(null)) return r.reason;
  return [h("bdi", {}, r.name), `: ${[words[0] + words[1], ...words.slice(2)].join(rs("sep"))}`];
}

// Why no team is recommended, from the summary's parts; the server's words otherwise.
function summaryText(recs) {
  const [head, ...rest] = recs.summary_parts || [];
  const incident = head?.incident_id;
  if (head?.code === "not_needed") return rs("not_needed", { incident, status: tt("status", head.status) });
  if (head?.code === "no_place") return rs("no_place", { incident });
  if (head?.code === "no_team_available") {
    const why = rest.map((e) => (e.code === "busy" ? rs("busy", { team: e.team, task: e.task_id })
      : e.code === "duty" ? rs("duty", { team: e.team, duty: tt("state", e.duty) })
        : e.code === "no_teams_registered" ? rs("no_teams_registered") : null));
    if (!why.includes(null)) return rs("no_team_available", { incident, why: why.join(rs("why_sep")) });
  }
  return recs.summary || t("no_teams");
}

function renderCoverage() {
  const box = $("#coverage");
  const c = S.coverage;
  box.hidden = !c;
  if (!c) return;
  const min = c.threshold_min;
  const over = c.zones.filter((z) => z.over);
  const moveText = (s) => fill(t("move"), { team: S.teams.get(s.team_id)?.name || s.team, to: zoneName(s.to_pcode) });
  // The moves first: they are what a dispatcher acts on; then the worst zones, the rest counted.
  const shown = over.slice(0, 12);
  box.replaceChildren(...[
    h("h2", {}, t("coverage")),
    h("p", { class: `summary ${over.length ? "bad" : "good"}` }, coverageSummary(c)),
    c.suggestions.length ? h("h3", {}, t("suggested_moves")) : null,
    c.suggestions.length ? h("ol", { class: "moves" }, ...c.suggestions.map((s) => h("li", {
      class: "move", "data-team": s.team_id, "data-to": s.to_pcode },
    h("b", {}, moveText(s)), h("br"), h("small", { dir: "auto" }, suggestionReason(s, c))))) : null,
    c.suggestions.length ? h("p", { class: "hint" }, t("coverage_note")) : null,
    over.length && c.teams_available && !c.suggestions.length ? h("p", { class: "hint" }, t("coverage_stuck")) : null,
    over.length ? h("h3", {}, fill(t("coverage_zones"), { min })) : null,
    over.length ? h("ul", { class: "over-zones" }, ...shown.map((z) => h("li", {
      "data-pcode": z.pcode, onclick: () => openDetail("zone", z.pcode) },
    zoneName(z.pcode), " ", h("small", {}, z.travel_s === null ? t("no_team")
      : `${Math.round(z.travel_s / 60)} ${t("min")}`))),
    over.length > shown.length ? h("li", { class: "more" }, `+${over.length - shown.length}`) : null) : null,
  ].filter(Boolean));
}

// With the coverage layer on: the zones beyond reach shaded, and each suggested move drawn as a
// dashed line from the team to the zone it would cover from.
function drawCoverage() {
  if (!coverageLayer) return;
  coverageLayer.clearLayers();
  if (!map.hasLayer(coverageLayer) || !S.coverage) return;
  const over = new Set(S.coverage.over_threshold);
  for (const f of S.zones) {
    if (!over.has(f.id)) continue;
    L.geoJSON(f, { pane: "zones", interactive: false, style: { className: `uncovered uncovered-${f.id}`,
      color: COVERAGE_COLOUR, weight: 1.5, dashArray: "5 4", fillColor: COVERAGE_COLOUR, fillOpacity: 0.3 } })
      .addTo(coverageLayer);
  }
  for (const s of S.coverage.suggestions) {
    const team = S.teams.get(s.team_id);
    const at = team?.position || team?.base;
    if (!at) continue;
    L.polyline([[at.lat, at.lon], [s.lat, s.lon]], { color: COVERAGE_COLOUR, weight: 3, dashArray: "8 6",
      interactive: false, className: "coverage-move" }).addTo(coverageLayer);
    L.circleMarker([s.lat, s.lon], { radius: 8, color: COVERAGE_COLOUR, weight: 3, fillOpacity: 0.25,
      className: "coverage-dest" })
      .bindTooltip(fill(t("move"), { team: team.name, to: zoneName(s.to_pcode) })).addTo(coverageLayer);
  }
}

function renderAlerts() {
  const levels = zoneLevels();
  const active = S.alerts.filter((a) => a.status === "active");
  $("#n-alerts").textContent = active.length;
  const rank = { imminent: 0, warning: 1, watch: 2, all_clear: 3 };
  const sorted = [...S.alerts].sort((a, b) => (a.status === "active" ? 0 : 1) - (b.status === "active" ? 0 : 1)
    || rank[a.level] - rank[b.level] || alertNumber(b) - alertNumber(a));
  const rows = sorted.slice(0, 100).map((a) => h("li", {
    class: `row alert-row level-${a.level} ${a.status}`, "data-id": a.alert_id,
    onclick: () => openDetail("alert", a.alert_id),
  },
  h("span", { class: "chip", style: `--c:${LEVEL_COLOUR[a.level] || "#2fa84f"}` }, tt("alert_level", a.level)),
  h("span", { class: "main" }, h("b", {}, S.lang === "ar" ? a.headline_ar : a.headline_en),
    h("br"), h("small", {}, zoneNames(a.zones, 4),
      a.zones.length > 4 ? ` +${a.zones.length - 4}` : "")),
  h("span", { class: "when" }, time(a.sent), h("br"),
    h("small", {}, tt("status", a.status)),
    a.level !== "all_clear" && levels.size ? h("br") : null),
  endAlertControls(a)));
  renderIssueForm();
  $("#alerts").replaceChildren(...(rows.length ? rows : [h("li", { class: "empty" }, t("none"))]));
}

function zoneNames(zones, n) {
  return zones.slice(0, n).map((z) => (S.lang === "ar" ? z.name_ar : z.name_en) || z.pcode).join(S.lang === "ar" ? "، " : ", ");
}

function renderSafety() {
  const open = S.pullbacks.filter((p) => !p.acknowledged_at);
  $("#n-safety").textContent = open.length + (S.board?.checkin_alarms?.length || 0);
  const teamName = (id) => S.teams.get(id)?.name || id;
  $("#pullbacks").replaceChildren(...(S.pullbacks.length ? S.pullbacks.slice(0, 100).map((p) =>
    h("li", { class: `row pullback ${p.acknowledged_at ? "done" : "open"} ${p.escalated_at ? "escalated" : ""} ${ownTeam() === p.team_id ? "mine" : ""}`, "data-id": p.id, "data-team": p.team_id },
      h("span", { class: "main" }, h("b", {}, `${p.id} · ${teamName(p.team_id)} ← ${p.incident_id}`),
        p.escalated_at ? h("span", { class: "pill bad" }, t("escalated")) : null,
        h("br"), h("small", {}, ...withTimes(p.reason))),
      h("span", { class: "when" }, time(p.issued_at), h("br"),
        p.acknowledged_at ? h("small", {}, `${t("acknowledged")} `, time(p.acknowledged_at))
          : !mayActFor(p.team_id) ? h("small", { class: "ack-by" }, fill(t("ack_by_leader"), { team: teamName(p.team_id) }))
          : h("button", { class: "primary small", onclick: () => act(api(`/api/v1/pullbacks/${p.id}/acknowledge`, { method: "POST", body: { note: "" } })) }, t("acknowledge")))))
    : [h("li", { class: "empty" }, t("none"))]));
  $("#watches").replaceChildren(...(S.watches.length ? S.watches.map((w) => h("li", {
    class: "row", onclick: () => openDetail("incident", w.incident_id) },
  h("span", { class: "main" }, h("b", {}, w.incident_id), h("br"),
    h("small", { title: w.reason }, `${t("watch")} · ${t("until")} `, time(w.until))),
  h("span", { class: "when" }, `${Math.ceil(Math.max(0, (Date.parse(w.until) - serverNow()) / 60000))} ${t("min")} ${t("left")}`)))
    : [h("li", { class: "empty" }, t("none"))]));
  const alarms = S.board?.checkin_alarms || [];
  $("#checkins").replaceChildren(...(alarms.length ? alarms.map((a) => h("li", { class: "row alarm" },
    h("span", { class: "main", onclick: () => openDetail("incident", a.incident_id) },
      h("b", {}, `${a.team} · ${a.incident_id}`), h("br"),
      h("small", {}, `${t("last_checkin")} `, a.last_checkin_at ? time(a.last_checkin_at) : "–")),
    h("button", { class: "primary small", onclick: () => act(api(`/api/v1/teams/${a.team_id}/checkin`, { method: "POST", body: { note: "relayed by the operations room" } })) }, t("checked_in"))))
    : [h("li", { class: "empty" }, t("none"))]));
}

// The last hour, from what the screens hold and what the stream has brought since.
const streamed = [];

function addTimeline(type, message) {
  if (!message.time || type.startsWith("user.") || type.startsWith("token.")) return;
  // Kept as the event's own data and worded only when drawn, so a switch of language rewords
  // the whole hour.
  streamed.unshift({ at: message.time, type, data: message.data || {}, kind: type.split(".")[0] });
  if (streamed.length > 500) streamed.pop();
}

function zoneName(pcode) {
  const f = pcode && S.zones.find((z) => z.id === pcode);
  if (!f) return pcode || t("unknown_place");
  return S.lang === "ar" ? f.properties.name_ar : f.properties.name_en;
}

// One line of the timeline in the page's language: the event type's template from i18n.js, its
// {placeholders} filled from the event's data, names and states translated.
function timelineText(type, d) {
  const zones = Array.isArray(d.zones) ? d.zones : [];
  const values = {
    team: S.teams.get(d.team_id)?.name || d.team_id,
    kind: d.kind && tt("kind", d.kind),
    state: d.state && tt("state", d.state),
    duty: d.duty && tt("state", d.duty),
    status: d.status && tt("status", d.status),
    hospital_status: d.status && tt("hospital_status", d.status),
    level: d.level && tt("alert_level", d.level),
    aircraft: d.aircraft && tt("aircraft_kind", d.aircraft),
    hospital: S.hospitals.find((x) => x.id === d.hospital_id)?.name || d.hospital_id,
    zone: zoneName(d.pcode),
    zones: zones.slice(0, 3).map((z) => zoneName(typeof z === "string" ? z : z.pcode))
      .join(S.lang === "ar" ? "، " : ", ") + (zones.length > 3 ? ` +${zones.length - 3}` : ""),
    zone_count: zones.length,
  };
  const template = (TEXT[S.lang].tl || {})[type];
  if (!template) return t("tl_other").replace("{event}", type.replace(/^[a-z]+\./, "").replaceAll("_", " "));
  return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? d[k] ?? ""));
}

// The same happening seen twice (in a list the page holds and over the stream) shows once.
const TIMELINE_KEYS = {
  "intake.incident_opened": (d) => `opened:${d.incident_id}`,
  "warning.alert_issued": (d) => `alert:${d.alert_id}`,
  "dispatch.pullback_ordered": (d) => `pullback:${d.order_id}`,
};

function renderTimeline() {
  const cutoff = serverNow() - 3600 * 1000;
  const items = [];
  for (const i of S.incidents.values()) {
    items.push({ at: i.opened_at, key: `opened:${i.id}`, text: `${t("opened")} ${i.id} · ${placeName(i)}`, kind: "intake", ref: ["incident", i.id] });
  }
  for (const a of S.alerts) {
    items.push({ at: a.sent, key: `alert:${a.alert_id}`, text: `${t("alert")} ${tt("alert_level", a.level)} · ${zoneNames(a.zones, 2)}`, kind: "warning", ref: ["alert", a.alert_id] });
  }
  for (const p of S.pullbacks) {
    items.push({ at: p.issued_at, key: `pullback:${p.id}`, text: `${t("pullback")} ${p.id} · ${S.teams.get(p.team_id)?.name || p.team_id}`, kind: "dispatch" });
  }
  for (const x of streamed) {
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
  h("span", { class: "when" }, time(x.at)), h("span", { class: "main" }, x.text)))
    : [h("li", { class: "empty" }, t("none"))]));
}

function renderAll() {
  if (!map) return;
  paintZones();
  drawIncidents();
  drawTeams();
  drawHospitals();
  drawTracks();
  drawWatches();
  renderQueue();
  renderTeams();
  renderAlerts();
  renderSafety();
  renderTimeline();
  renderCoverage();
  drawCoverage();
  if (S.detail) renderDetail();
  $("#clock").replaceChildren(time(new Date(serverNow()).toISOString()));
}

// --- detail -------------------------------------------------------------------------------

function openDetail(kind, id) {
  if (S.threatMode) return;  // the click marks the threat's place instead
  S.detail = { kind, id };
  if (kind === "incident") S.selected = id;
  $("#detail").hidden = false;
  renderDetail();
  if (kind === "incident") loadIncidentDetail(id);
}

function closeDetail() {
  S.detail = null;
  $("#detail").hidden = true;
}

async function loadIncidentDetail(id) {
  try { S.incidents.set(id, await api(`/api/v1/incidents/${encodeURIComponent(id)}`)); } catch { return; }
  await loadSites(id).catch(() => {});
  if (S.can.teams !== false && !S.recs.has(id)) {
    try { S.recs.set(id, await api(`/api/v1/incidents/${encodeURIComponent(id)}/recommendations`)); }
    catch { S.recs.set(id, null); }
  }
  if (S.detail?.id === id) renderDetail();
}

// Worksites and victims of one incident; roles that may not read them see neither section.
async function loadSites(id) {
  if (S.can.sites === false) return;
  const base = `/api/v1/incidents/${encodeURIComponent(id)}`;
  try {
    const [w, v] = await Promise.all([api(`${base}/worksites`), api(`${base}/victims`)]);
    S.can.sites = true;
    S.sites.set(id, { worksites: w.worksites, victims: v.victims });
  } catch (error) {
    if (error.status === 403) { S.can.sites = false; return; }
    if (error.status !== 404) throw error;
  }
}

async function refreshSites(id) {
  await loadSites(id).catch(() => {});
  if (S.detail?.id === id) renderDetail();
}

const CATEGORIES = ["A", "B", "C", "D", "E", "F"];
const CATEGORY_COLOUR = { A: "#d8282f", B: "#d8282f", C: "#f5a623", D: "#f5a623", E: "#6c757d", F: "#2fa84f" };
const HAZARDS = ["unstable_structure", "gas_leak", "fire", "unexploded_ordnance", "electricity", "dust", "flooding"];
const OPERATIONS = ["search", "shoring", "breaching", "lifting", "cutting", "medical", "firefighting", "rubble_removal"];
const TRIAGE = ["red", "yellow", "green", "black"];
const TRIAGE_COLOUR = { red: "#d8282f", yellow: "#f2d14b", green: "#2fa84f", black: "#1f2328" };
const VICTIM_STATUSES = ["trapped", "extracted_alive", "dead"];
const VICTIM_NEXT = { trapped: ["extracted_alive", "dead"], extracted_alive: ["dead"], dead: [] };

function worksitesSection(i, sites) {
  const rows = sites.worksites.map((w) => h("li", { class: "site", "data-worksite": w.id },
    h("span", { class: "cat", style: `--c:${CATEGORY_COLOUR[w.category]}`, title: tt("category_meaning", w.category) }, w.category),
    h("span", { class: "main" }, h("b", {}, w.id), " · ", tt("category_meaning", w.category),
      w.hazards.length ? h("small", { class: "line" }, `${t("hazards")}: ${w.hazards.map((x) => tt("hazard", x)).join(listSep())}`) : null,
      w.operations.length ? h("small", { class: "line" }, `${t("operations")}: ${w.operations.map((x) => tt("operation", x)).join(listSep())}`) : null),
    canField() ? h("button", { class: "change-category", onclick: () => changeCategory(i, w) }, t("change_category")) : null));
  return [
    h("div", { class: "section-head" }, h("h3", {}, `${t("worksites")} (${rows.length})`),
      canField() ? h("button", { class: "add-worksite", onclick: () => addWorksite(i) }, `+ ${t("add_worksite")}`) : null),
    rows.length ? h("ul", { class: "sites" }, ...rows) : h("p", { class: "hint" }, t("none")),
  ];
}

function victimsSection(i, sites) {
  const counts = VICTIM_STATUSES.map((st) => [st, sites.victims.filter((v) => v.status === st).length])
    .filter(([, n]) => n).map(([st, n]) => `${n} ${tt("victim_status", st)}`).join(" · ");
  const rows = sites.victims.map((v) => {
    const who = S.identities.get(v.id);
    const hospital = v.hospital_id && (S.hospitals.find((x) => x.id === v.hospital_id)?.name || v.hospital_id);
    return h("li", { class: `victim status-${v.status}`, "data-victim": v.id },
      h("span", { class: "mark", style: `--c:${v.triage ? TRIAGE_COLOUR[v.triage] : "#9aa3ad"}`,
        title: v.triage ? tt("triage_colour", v.triage) : t("no_triage") }, v.mark),
      h("span", { class: "main" },
        h("span", { class: `pill victim-${v.status}` }, tt("victim_status", v.status)), " ",
        v.triage ? tt("triage_colour", v.triage) : h("small", {}, t("no_triage")),
        v.worksite_id ? ` · ${v.worksite_id}` : "",
        hospital ? h("small", { class: "line" }, `✚ ${hospital}`) : null,
        who ? h("small", { class: "line identity" }, who.name || who.identity
          ? [who.name, who.identity].filter(Boolean).join(" · ") : t("no_name")) : null),
      canCommand() && !who ? h("button", { class: "small show-name", onclick: () => showName(i.id, v.id) }, t("show_name")) : null,
      canField() ? h("button", { class: "update-victim", onclick: () => updateVictim(i, v) }, t("update")) : null);
  });
  return [
    h("div", { class: "section-head" }, h("h3", {}, `${t("victims")} (${rows.length})`),
      canField() ? h("button", { class: "record-victim", onclick: () => recordVictim(i) }, `+ ${t("record_victim")}`) : null),
    counts ? h("p", { class: "counts" }, counts) : null,
    rows.length ? h("ul", { class: "victims" }, ...rows) : h("p", { class: "hint" }, t("none")),
  ];
}

function hazardFields(w = null) {
  return [
    { name: "hazards", label: t("hazards"), type: "checks", value: w?.hazards,
      options: HAZARDS.map((x) => [x, tt("hazard", x)]) },
    { name: "operations", label: t("operations"), type: "checks", value: w?.operations,
      options: OPERATIONS.map((x) => [x, tt("operation", x)]) },
  ];
}

const categoryOptions = () => CATEGORIES.map((c) => [c, c, tt("category_meaning", c)]);

async function addWorksite(i) {
  const values = await askForm({
    title: fill(t("ws_title"), { incident: i.id }), ok: t("add_worksite"),
    fields: [
      { name: "worksite_id", label: t("worksite_id"), required: true, placeholder: "C-6",
        pattern: "[A-Za-z]-[1-9][0-9]{0,2}", title: t("ws_id_hint"), maxlength: 5, dir: "ltr" },
      { name: "category", label: t("category"), type: "choice", required: true, options: categoryOptions() },
      ...hazardFields(),
    ],
  });
  if (!values) return;
  const body = { worksite_id: values.worksite_id.toUpperCase(), category: values.category,
    hazards: values.hazards, operations: values.operations };
  if (await act(api(`/api/v1/incidents/${encodeURIComponent(i.id)}/worksites`, { method: "POST", body }))) refreshSites(i.id);
}

async function changeCategory(i, w) {
  const values = await askForm({
    title: fill(t("ws_cat_title"), { worksite: `${w.id} · ${i.id}` }), ok: t("change_category"),
    fields: [
      { name: "category", label: t("category"), type: "choice", required: true, value: w.category, options: categoryOptions() },
      ...hazardFields(w),
      { name: "reason", label: t("reason") },
    ],
  });
  if (!values) return;
  const body = { category: values.category, hazards: values.hazards, operations: values.operations,
    reason: values.reason || "" };
  const path = `/api/v1/incidents/${encodeURIComponent(i.id)}/worksites/${encodeURIComponent(w.id)}`;
  if (await act(api(path, { method: "POST", body }))) refreshSites(i.id);
}

function victimFields(i, v = null) {
  const sites = S.sites.get(i.id)?.worksites || [];
  const statuses = v ? [v.status, ...VICTIM_NEXT[v.status]] : VICTIM_STATUSES;
  const { options } = hospitalChoices(incidentPlace(i.id));
  const fields = [
    { name: "status", label: t("victim_status_label"), type: "choice", required: true,
      value: v?.status || "trapped", options: statuses.map((st) => [st, tt("victim_status", st)]) },
    { name: "triage", label: t("triage"), type: "select", value: v?.triage || "",
      options: [["", t("no_triage")], ...TRIAGE.map((c) => [c, tt("triage_colour", c)])] },
  ];
  if (!v) {
    fields.push({ name: "worksite_id", label: t("worksite"), type: "select",
      value: sites.length === 1 ? sites[0].id : "",
      options: [["", t("no_worksite")], ...sites.map((w) => [w.id, `${w.id} · ${w.category}`])] });
  }
  // Only a victim extracted alive goes to a hospital, and only to an open one.
  fields.push({ name: "hospital_id", label: t("destination"), type: "choice",
    value: v?.hospital_id || "", when: (x) => x.status === "extracted_alive",
    options: [["", t("no_destination")], ...options] });
  fields.push({ name: "name", label: t("name"), maxlength: 200 },
    { name: "identity", label: t("identity"), maxlength: 200 });
  return fields;
}

function victimBody(values) {
  const body = {};
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== "") body[k] = v;
  return body;
}

async function recordVictim(i) {
  const values = await askForm({ title: fill(t("victim_title"), { incident: i.id }),
    detail: t("names_note"), ok: t("record_victim"), fields: victimFields(i) });
  if (!values) return;
  const path = `/api/v1/incidents/${encodeURIComponent(i.id)}/victims`;
  if (await act(api(path, { method: "POST", body: victimBody(values) }))) refreshSites(i.id);
}

async function updateVictim(i, v) {
  const values = await askForm({ title: fill(t("victim_update_title"), { mark: v.mark, incident: i.id }),
    detail: t("names_note"), ok: t("update"), fields: victimFields(i, v) });
  if (!values) return;
  const path = `/api/v1/victims/${encodeURIComponent(v.id)}`;
  if (await act(api(path, { method: "POST", body: victimBody(values) }))) {
    S.identities.delete(v.id);
    refreshSites(i.id);
  }
}

// A name is read only when a dispatcher asks for it, and kept only in this page's memory.
async function showName(incidentId, victimId) {
  try {
    S.identities.set(victimId, await api(`/api/v1/victims/${encodeURIComponent(victimId)}/identity`));
  } catch (error) {
    toast(error.status === 403 ? t("not_allowed") : `${t("failed")}: ${error.message}`, true);
    return;
  }
  if (S.detail?.id === incidentId) renderDetail();
}

function field(label, ...value) {
  return h("div", { class: "field" }, h("span", {}, label), h("b", {}, ...value));
}

function renderDetail() {
  const { kind, id } = S.detail;
  const body = $("#detail-body");
  const views = { incident: incidentDetail, team: teamDetail, zone: zoneDetail,
    hospital: hospitalDetail, track: trackDetail, alert: alertDetail };
  const parts = views[kind]?.(id) || [h("p", {}, id)];
  body.replaceChildren(...parts.filter((x) => x !== null && x !== undefined && x !== false));
  body.dataset.kind = kind;
  body.dataset.id = id;
}

function incidentDetail(id) {
  const i = S.incidents.get(id);
  if (!i) return [h("p", {}, id)];
  const recs = S.recs.get(id);
  const tasks = [...S.tasks.values()].filter((k) => k.incident_id === id);
  const out = [
    h("h2", {}, h("span", { class: "sev", style: `--c:${SEV_COLOUR[i.severity]}` }, i.severity),
      ` ${i.id} · ${tt("kind", i.kind)} `, h("span", { class: `pill status-${i.status}` }, tt("status", i.status))),
    h("div", { class: "fields" },
      field(t("zone"), placeName(i)),
      field(t("reports"), i.report_count),
      field(t("trapped"), i.trapped ?? "–"), field(t("casualties"), i.casualties ?? "–"),
      field(t("first_received"), time(i.first_received_at)),
      field(t("first_report"), time(i.first_report_at)), field(t("last_report"), time(i.last_report_at))),
  ];
  if (tasks.length) {
    out.push(h("h3", {}, t("tasks")), h("ul", { class: "plain" }, ...tasks.map((k) =>
      h("li", {}, `${S.teams.get(k.team_id)?.name || k.team_id}: `, h("b", {}, tt("state", k.state)), ` (${ago(k.times[k.state])})`))));
  }
  if (recs && recs.recommendations) {
    out.push(h("h3", {}, t("recommendations")));
    if (!recs.recommendations.length) out.push(h("p", { class: "hint summary" }, summaryText(recs)));
    out.push(h("ol", { class: "recs" }, ...recs.recommendations.slice(0, 5).map((r, n) => h("li", { "data-team": r.team_id },
      h("span", { class: "main" }, h("b", {}, h("bdi", {}, r.name)), ` · ${r.travel_at_least ? "> " : ""}${Math.round(r.travel_s / 60)} ${t("min")}`,
        h("br"), h("small", { class: "reason" }, reasonText(r))),
      n === 0
        ? h("button", { class: "primary accept", onclick: () => assign(id, r.team_id, "") }, t("accept"), h("kbd", {}, "A"))
        : h("button", { class: "override", onclick: () => override(id, r.team_id) }, t("send"))))));
  }
  const sites = S.sites.get(id);
  if (sites) out.push(...worksitesSection(i, sites), ...victimsSection(i, sites));
  out.push(h("h3", {}, t("set_status")), h("div", { class: "acts" },
    ...["responding", "cleared", "closed"].filter((s) => s !== i.status).map((s) =>
      h("button", { onclick: () => setStatus(id, s) }, tt("status", s)))));
  if (i.reports) {
    out.push(h("h3", {}, t("reports")), h("ul", { class: "plain reports" }, ...i.reports.map((r) =>
      h("li", {}, time(r.received_at), ` ${tt("kind", r.kind)} · ${r.source}`,
        r.trapped ? ` · ${r.trapped} ${t("trapped")}` : "", r.text ? h("q", { dir: "auto" }, r.text) : null))));
  }
  return out;
}

async function assign(incidentId, teamId, reason) {
  const done = await act(api(`/api/v1/incidents/${incidentId}/assign`, { method: "POST", body: { team_id: teamId, reason } }));
  if (done) { S.recs.delete(incidentId); loadIncidentDetail(incidentId); }
}

async function override(incidentId, teamId) {
  const name = S.teams.get(teamId)?.name || teamId;
  const reason = await ask({ title: t("override_title").replace("{team}", name),
    label: t("reason_needed"), ok: t("send") });
  if (reason) assign(incidentId, teamId, reason);
}

async function setStatus(id, status) {
  const reason = await ask({
    title: t("status_title").replace("{incident}", id).replace("{status}", tt("status", status)),
    label: t("status_reason"), value: tt("status", status), ok: t("set_status") });
  if (reason) act(api(`/api/v1/incidents/${id}/status`, { method: "POST", body: { status, reason } }));
}

function teamDetail(id) {
  const team = S.teams.get(id);
  if (!team) return [h("p", {}, id)];
  const task = taskFor(team);
  return [
    h("h2", {}, team.name, " ", h("span", { class: "chip", style: `--c:${STATE_COLOUR[teamState(team)]}` }, tt("state", teamState(team)))),
    h("div", { class: "fields" },
      field(t("duty"), tt("state", team.duty)), field(t("base"), team.base?.name || ""),
      field(t("position"), team.position ? ago(team.position.at || team.updated_at) : "–"),
      field("crew", team.crew), field("", team.capabilities.join(", "))),
    task ? h("div", { class: "acts" }, h("button", { onclick: () => openDetail("incident", task.incident_id) }, task.incident_id),
      ...task.legal_next.map((next) => h("button", { onclick: () => transition(task, next) }, tt("state", next)))) : null,
  ];
}

function zoneDetail(pcode) {
  const f = S.zones.find((z) => z.id === pcode);
  const current = zoneLevels().get(pcode);
  const incidents = [...S.incidents.values()].filter((i) => i.neighbourhood?.pcode === pcode);
  return [
    h("h2", {}, f ? (S.lang === "ar" ? f.properties.name_ar : f.properties.name_en) : pcode, ` (${pcode})`),
    h("div", { class: "fields" },
      field(t("level"), current ? tt("alert_level", current.level) : tt("alert_level", "none")),
      current ? field(t("eta"), etaText(current.alert, current.zone) || "–") : null,
      field(t("tab_queue"), incidents.length)),
    current ? h("p", {}, S.lang === "ar" ? current.alert.instruction_ar : current.alert.instruction_en) : null,
  ];
}

function hospitalDetail(id) {
  const hosp = S.hospitals.find((x) => x.id === id);
  if (!hosp) return [h("p", {}, id)];
  return [h("h2", {}, `✚ ${hosp.name}`), h("div", { class: "fields" },
    field(t("hospital"), hosp.kind), field("", tt("hospital_status", hosp.status)),
    field("", time(hosp.updated_at)))];
}

function trackDetail(id) {
  const track = S.tracks.find((x) => x.id === id);
  if (!track) return [h("p", {}, id)];
  return [h("h2", {}, `✈ ${track.id} · ${track.aircraft}`), h("div", { class: "fields" },
    field(t("uncertainty"), `${Math.round(track.uncertainty_m)} m`),
    field(t("speed"), `${Math.round(track.speed_mps * 3.6)} km/h`),
    field(t("sightings"), track.sightings), field("", time(track.at)),
    field(t("zones"), track.zones.length))];
}

function alertDetail(id) {
  const a = S.alerts.find((x) => x.alert_id === id);
  if (!a) return [h("p", {}, id)];
  return [
    h("h2", {}, h("span", { class: "chip", style: `--c:${LEVEL_COLOUR[a.level] || "#2fa84f"}` }, tt("alert_level", a.level)), ` ${a.alert_id}`),
    h("p", {}, h("b", {}, S.lang === "ar" ? a.headline_ar : a.headline_en)),
    h("p", {}, S.lang === "ar" ? a.instruction_ar : a.instruction_en),
    h("div", { class: "fields" }, field("", time(a.sent)), field(t("until"), time(a.expires)),
      field(t("zones"), a.zones.length)),
    h("ul", { class: "plain" }, ...a.zones.slice(0, 30).map((z) => h("li", {},
      `${(S.lang === "ar" ? z.name_ar : z.name_en) || z.pcode} `, h("small", {}, etaText(a, z))))),
    h("a", { href: `/api/v1/alerts/${a.alert_id}.cap`, target: "_blank" }, "CAP 1.2"),
  ];
}

// --- keyboard -----------------------------------------------------------------------------

const KEYS = [
  ["J / ↓", "k_next"], ["K / ↑", "k_prev"], ["Enter", "k_open"], ["A", "k_accept"],
  ["1 – 5", "k_tabs"], ["X", "k_threat"], ["L", "k_lang"], ["N", "k_theme"], ["Esc", "k_close"], ["?", "k_help"],
];

function renderHelp() {
  $("#help-open").title = t("shortcuts");
  $("#help-keys").replaceChildren(...KEYS.flatMap(([k, d]) => [h("dt", {}, h("kbd", {}, k)), h("dd", {}, t(d))]));
}

function showTab(name) {
  S.tab = name;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
  for (const p of document.querySelectorAll(".panel")) p.classList.toggle("on", p.dataset.panel === name);
}

function moveSelection(step) {
  const items = queue();
  if (!items.length) return;
  const at = items.findIndex((i) => i.id === S.selected);
  const next = items[Math.max(0, Math.min(items.length - 1, at + step))];
  S.selected = next.id;
  showTab("queue");
  renderQueue();
  document.querySelector(`#queue [data-id="${CSS.escape(next.id)}"]`)?.scrollIntoView({ block: "nearest" });
}

// A question in the page, in the page's language: a labelled field in a modal dialog. Enter
// answers, Esc or Cancel gives null; Tab stays inside. Never window.prompt, which stops the
// page (and the live stream's drawing) and speaks the browser's language.
function ask({ title, label, value = "", ok = t("ok"), detail = "" }) {
  const dialog = $("#ask");
  if (dialog.open) return Promise.resolve(null);
  const input = $("#ask-input");
  $("#ask-title").textContent = title;
  $("#ask-detail").textContent = detail;
  $("#ask-detail").hidden = !detail;
  $("#ask-label").textContent = label;
  $("#ask-ok").textContent = ok;
  $("#ask-cancel").textContent = t("cancel");
  input.value = value;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const answer = input.value.trim();
      resolve(dialog.returnValue === "ok" && answer ? answer : null);
    }, { once: true });
    dialog.showModal();
    input.focus();
    input.select();
  });
}

// The same dialog with several fields: a line of text, a list, one of several large choices, or
// boxes to tick (with a line for others). Resolves to the values by field name, or null.
// A field with `when` shows only while `when(values)` holds; hidden, it is disabled, so it
// neither blocks the form nor is sent.
function askForm({ title, detail = "", fields, ok = t("ok") }) {
  const dialog = $("#ask");
  if (dialog.open) return Promise.resolve(null);
  const input = $("#ask-input");
  const box = $("#ask-fields");
  const form = $("#ask-form");
  $("#ask-title").textContent = title;
  $("#ask-detail").textContent = detail;
  $("#ask-detail").hidden = !detail;
  $("#ask-ok").textContent = ok;
  $("#ask-cancel").textContent = t("cancel");
  $("#ask-label").hidden = true;
  input.hidden = true;
  input.required = false;
  const rows = fields.map(formField);
  box.replaceChildren(...rows);
  box.hidden = false;
  dialog.classList.add("form");
  const update = () => {
    const values = readForm(fields);
    rows.forEach((row, n) => {
      if (!fields[n].when) return;
      row.hidden = !fields[n].when(values);
      for (const el of row.querySelectorAll("input, select")) el.disabled = row.hidden;
    });
  };
  form.addEventListener("change", update);
  update();
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const values = dialog.returnValue === "ok" ? readForm(fields) : null;
      form.removeEventListener("change", update);
      box.replaceChildren();
      box.hidden = true;
      dialog.classList.remove("form");
      $("#ask-label").hidden = false;
      input.hidden = false;
      input.required = true;
      resolve(values);
    }, { once: true });
    dialog.showModal();
    (box.querySelector("input[type=radio]:checked") || box.querySelector("input, select"))?.focus();
  });
}

function formField(f) {
  const id = `ask-f-${f.name}`;
  let row;
  if (f.type === "select") {
    row = h("div", { class: "ask-field" }, h("label", { for: id }, f.label),
      h("select", { id, name: f.name }, ...f.options.map(([v, text]) =>
        h("option", { value: v, selected: v === (f.value ?? "") }, text))));
  } else if (f.type === "choice") {
    row = h("fieldset", { class: "ask-field choices" }, h("legend", {}, f.label),
      ...f.options.map(([v, text, more], n) => h("label", { class: "choice" },
        h("input", { type: "radio", name: f.name, value: v, checked: v === f.value,
          required: f.required && n === 0 }),
        h("span", {}, h("b", {}, text), more ? h("small", {}, more) : null))));
  } else if (f.type === "checks") {
    const chosen = new Set(f.value || []);
    row = h("fieldset", { class: "ask-field checks" }, h("legend", {}, f.label),
      ...f.options.map(([v, text]) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: f.name, value: v, checked: chosen.has(v) }), text)),
      h("input", { name: `${f.name}-other`, class: "other", maxlength: "300", dir: "auto",
        value: [...chosen].filter((v) => !f.options.some(([o]) => o === v)).join(", "),
        placeholder: t("other_items"), "aria-label": `${f.label}: ${t("other_items")}` }));
  } else {
    row = h("div", { class: "ask-field" }, h("label", { for: id }, f.label),
      h("input", { id, name: f.name, value: f.value || "", required: f.required, pattern: f.pattern,
        placeholder: f.placeholder, title: f.title, maxlength: String(f.maxlength || 200),
        autocomplete: "off", dir: f.dir || "auto" }));
  }
  row.dataset.field = f.name;
  return row;
}

function readForm(fields) {
  const form = $("#ask-form");
  const values = {};
  for (const f of fields) {
    const els = [...form.querySelectorAll(`[name="${f.name}"]`)].filter((el) => !el.disabled);
    if (!els.length) { values[f.name] = null; continue; }
    if (f.type === "choice") values[f.name] = els.find((el) => el.checked)?.value ?? null;
    else if (f.type === "checks") {
      const other = form.querySelector(`[name="${f.name}-other"]`)?.value || "";
      values[f.name] = [...els.filter((el) => el.checked).map((el) => el.value),
        ...other.split(/[,،]/).map((x) => x.trim().slice(0, 100)).filter(Boolean)];
    } else values[f.name] = els[0].value.trim();
  }
  return values;
}

function trapFocus(event) {
  if (event.key !== "Tab") return;
  const items = [...event.currentTarget.querySelectorAll("input, select, textarea, button")]
    .filter((el) => !el.disabled && el.offsetParent !== null);
  if (!items.length) return;
  const first = items[0], last = items[items.length - 1];
  if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
  else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
}

function onKey(event) {
  if (!S.session || event.ctrlKey || event.metaKey || event.altKey) return;
  // Keys typed in an open dialog belong to it.
  if (document.querySelector("dialog[open]")) return;
  if (["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName)) return;
  const key = event.key;
  const tabs = ["queue", "teams", "alerts", "safety", "timeline"];
  if (key >= "1" && key <= "5") showTab(tabs[Number(key) - 1]);
  else if (key === "j" || key === "ArrowDown") moveSelection(1);
  else if (key === "k" || key === "ArrowUp") moveSelection(-1);
  else if (key === "Enter" && S.selected) openDetail("incident", S.selected);
  else if (key === "a" || key === "A") {
    const id = S.detail?.kind === "incident" ? S.detail.id : S.selected;
    const top = S.recs.get(id)?.recommendations?.[0];
    if (top) assign(id, top.team_id, "");
  } else if (key === "l" || key === "L") toggleLanguage();
  else if (key === "n" || key === "N") toggleTheme();
  else if (key === "x" || key === "X") armThreat();
  else if (key === "Escape") { if (S.threatMode) armThreat(); else closeDetail(); }
  else if (key === "?") $("#help").showModal();
  else return;
  event.preventDefault();
}

// --- start --------------------------------------------------------------------------------

async function boot() {
  if (localStorage.getItem("hanano.theme") === "light") document.documentElement.classList.remove("dark");
  $("#lang").addEventListener("click", toggleLanguage);
  $("#theme").addEventListener("click", toggleTheme);
  $("#logout").addEventListener("click", logout);
  $("#login-form").addEventListener("submit", login);
  $("#detail-close").addEventListener("click", closeDetail);
  $("#help-open").addEventListener("click", () => $("#help").showModal());
  $("#ask-cancel").addEventListener("click", () => $("#ask").close(""));
  for (const dialog of document.querySelectorAll("dialog")) dialog.addEventListener("keydown", trapFocus);
  $("#threat").addEventListener("click", armThreat);
  $("#sighting").addEventListener("submit", reportSighting);
  $("#issue-alert").addEventListener("submit", issueAlert);
  $("#pick-zone").addEventListener("click", armZonePick);
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  document.addEventListener("keydown", onKey);
  applyLanguage();
  // Times in state and watches' time left move with the clock, between events too.
  setInterval(() => { if (S.session?.authenticated && map) { renderTeams(); renderSafety(); $("#clock").replaceChildren(time(new Date(serverNow()).toISOString())); } }, 5000);
  const session = await api("/api/v1/session", { login: true });
  if (session.authenticated) await enter(session);
  else { S.prelogin = session.csrf; showLogin(); }
}

window.addEventListener("DOMContentLoaded", boot);
