// The room's state: one store, changed only through the functions below. Each part of the page
// subscribes to the keys it draws and is redrawn once per batch of changes to them, so a change
// redraws what shows it and nothing else (redrawing the queue under the pointer can swallow a
// click: pressed on one row, released on its replacement).

const data = {
  session: null, lang: localStorage.getItem("hanano.lang") || "en",
  // What the signed-in user may do, as the server says (GET /api/v1/me): per action true,
  // false, or the teams (or the incidents) a team leader may do it for.
  may: {},
  // A mirror's state (GET /api/v1/mirror), null on a primary.
  mirror: null,
  zones: [], incidents: new Map(), teams: new Map(), tasks: new Map(), hospitals: [],
  alerts: [], tracks: [], zoneThreats: [], watches: [], pullbacks: [], threats: [], closures: [], board: null,
  recs: new Map(), selected: null, detail: null, tab: "queue", coverage: null,
  // Per incident: its worksites and victims (without names); names fetched one by one, only for
  // the roles the API gives them to, and only when asked.
  sites: new Map(), identities: new Map(),
  // Which lists this server offers to this role (false after a 403 or 404).
  can: {}, roadsId: undefined,
  // What the stream has brought, newest first, for the last hour.
  streamed: [],
  live: false, threatMode: false, pickZone: false,
};

const subscribers = new Map();
const changed = new Set();
let scheduled = false;

export const get = (key) => data[key];

export function subscribe(keys, fn) {
  for (const key of keys) {
    if (!subscribers.has(key)) subscribers.set(key, new Set());
    subscribers.get(key).add(fn);
  }
}

export function notify(...keys) {
  for (const key of keys) changed.add(key);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(flush);
  }
}

// Every subscriber of the keys changed since the last flush, each once.
export function flush() {
  scheduled = false;
  const fns = new Set();
  for (const key of changed) for (const fn of subscribers.get(key) || []) fns.add(fn);
  changed.clear();
  for (const fn of fns) {
    try { fn(); } catch (error) { console.error(error); }
  }
}

export const everyKey = () => Object.keys(data);

export function set(changes) {
  Object.assign(data, changes);
  notify(...Object.keys(changes));
}

// One entry of a keyed collection (incidents, teams, tasks, recs, sites, identities); undefined
// removes it.
export function put(key, id, value) {
  if (value === undefined) data[key].delete(id);
  else data[key].set(id, value);
  notify(key);
}

export function clear(key) {
  data[key].clear();
  notify(key);
}

export function setCan(key, value) { data.can[key] = value; }

export function addStreamed(item) {
  data.streamed.unshift(item);
  if (data.streamed.length > 500) data.streamed.pop();
  notify("streamed");
}

// --- what the user may do -----------------------------------------------------------------

// Whether the server accepts `action` from this user; with a team or an incident, for that one
// (a team leader's answers name their own team, or the incidents their team was sent to).
export function may(action, teamOrIncident) {
  const answer = data.may[action];
  if (Array.isArray(answer)) return teamOrIncident === undefined ? answer.length > 0 : answer.includes(teamOrIncident);
  return answer === true;
}

// The team a team leader acts for (the server names no team for any other role).
export const ownTeam = () => data.session?.team || null;

// --- the server's clock -------------------------------------------------------------------

let clock = { server: Date.now(), local: Date.now(), speed: 1 };

export function setClock(now, speed) {
  clock = { server: Date.parse(now), local: Date.now(), speed };
}

export function serverNow() {
  return clock.server + (Date.now() - clock.local) * clock.speed;
}

export function syncClock(iso) {
  const at = Date.parse(iso);
  if (!Number.isNaN(at) && at > serverNow() - 1000 * clock.speed) {
    clock.server = at;
    clock.local = Date.now();
  }
}
