// The live stream: every change arrives over Server-Sent Events and is applied at once; nothing
// polls. Each event reads again only the list it changed (or the records it names), a batch of
// events within 60 ms at once.
import { get, put, set, syncClock } from "./state.js";
import { api } from "./api.js";
import { LOADERS, loadAll } from "./resources.js";
import { loadIncidentDetail } from "./detail.js";
import { addTimeline } from "./boards/timeline.js";

// What each event changes: the lists (loaders) to read again, with the field of the event's
// data naming the record when one record is enough. A strike report and a team's arrival renew
// a site's double-tap watch; a team's duty, place and task move the coverage. A task given
// names one more incident a team leader may write about.
const INCIDENT = ["incidents", "incident_id"];
const TEAM = [["teams", "team_id"], ["coverage"]];
const ROADS = [["closures"], ["roads"], ["coverage"]];
const SITES = [["sites", "incident_id"]];
const EFFECTS = {
  "intake.incident_opened": [INCIDENT, ["watches"]],
  "intake.report_linked": [INCIDENT, ["watches"]],
  "intake.incident_status_changed": [INCIDENT],
  "intake.incidents_merged": [["incidents"]],
  "intake.incident_split": [["incidents"]],
  "dispatch.team_registered": TEAM,
  "dispatch.team_updated": TEAM,
  "dispatch.team_duty_changed": TEAM,
  "dispatch.team_position_reported": TEAM,
  "dispatch.team_checked_in": [["board"]],
  "dispatch.checkin_overdue": [["board"]],
  "dispatch.checkin_alarm_acknowledged": [["board"]],
  "dispatch.task_assigned": [["tasks"], ["coverage"], ["may"]],
  "dispatch.task_transitioned": [["tasks"], ["watches"], ["board"], ["coverage"]],
  "dispatch.pullback_ordered": [["pullbacks"]],
  "dispatch.pullback_acknowledged": [["pullbacks"]],
  "dispatch.pullback_escalated": [["pullbacks"]],
  "dispatch.pullback_ended": [["pullbacks"]],
  "dispatch.threat_reported": [["threats"]],
  "dispatch.road_closed": ROADS,
  "dispatch.road_reopened": ROADS,
  "dispatch.roads_imported": [["roads"], ["coverage"]],
  "dispatch.hospital_registered": [["hospitals"]],
  "dispatch.hospital_status_changed": [["hospitals"]],
  "dispatch.worksite_opened": SITES,
  "dispatch.worksite_updated": SITES,
  "dispatch.victim_recorded": SITES,
  "dispatch.victim_updated": SITES,
  "warning.alert_issued": [["alerts"]],
  "alert": [["alerts"]],
  "warning.track_started": [["tracks"]],
  "warning.track_updated": [["tracks"]],
  "warning.track_ended": [["tracks"]],
  "warning.threat_assessed": [["tracks"]],
};

// Loader name -> the ids to read one by one, or null for the whole list.
const pending = new Map();
let timer = null;

export function schedule(name, ids = null) {
  const had = pending.has(name) ? pending.get(name) : undefined;
  if (had === null || ids === null) pending.set(name, null);
  else pending.set(name, new Set([...(had || []), ...ids]));
  if (!timer) timer = setTimeout(run, 60);
}

async function run() {
  const batch = [...pending];
  pending.clear();
  timer = null;
  try {
    await Promise.all(batch.map(([name, ids]) => LOADERS[name](ids)));
  } catch (error) { if (error.message !== "401") console.error(error); }
  // The open incident's recommendations, cleared by the change, are asked for again.
  const detail = get("detail");
  if (detail?.kind === "incident" && !get("recs").has(detail.id)) loadIncidentDetail(detail.id);
}

function onEvent(type, message) {
  if (message.time) syncClock(message.time);
  addTimeline(type, message);
  if (type === "incident") { put("incidents", message.id, message); return; }
  const d = message.data || {};
  for (const [name, field] of EFFECTS[type] || []) {
    const named = field && d[field];
    schedule(name, named ? [named] : null);
  }
}

let stream = null;
let wasDown = false;
let onSessionEnded = () => {};

export function onEnded(fn) { onSessionEnded = fn; }

export function disconnect() {
  if (stream) { stream.close(); stream = null; }
}

export function connect(types) {
  disconnect();
  const source = new EventSource("/api/v1/stream", { withCredentials: true });
  stream = source;
  source.onopen = () => {
    // Back after a break: what happened meanwhile never reached this page, so read it all again.
    if (wasDown) { wasDown = false; loadAll().catch(() => {}); }
    set({ live: true });
  };
  source.onerror = () => {
    set({ live: false });
    wasDown = true;
    if (source.readyState !== EventSource.CLOSED) return;  // the browser retries by itself
    // Refused outright: the session ended, or the server is away; find out which.
    setTimeout(async () => {
      if (stream !== source) return;
      try {
        const session = await api("/api/v1/session", { login: true });
        if (session.authenticated) connect(types); else onSessionEnded();
      } catch { setTimeout(() => connect(types), 3000); }
    }, 2000);
  };
  for (const type of [...types, "alert", "incident"]) {
    source.addEventListener(type, (e) => onEvent(type, JSON.parse(e.data)));
  }
  source.addEventListener("dropped", () => { source.close(); setTimeout(() => connect(types), 1000); });
}
