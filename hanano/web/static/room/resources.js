// The lists the room holds, each read from the API by its own loader: all of them when the room
// opens (or the stream comes back after a break), and one at a time when an event changes it.
import { clear, get, put, set } from "./state.js";
import { api, id, optional, optionalBody, prime } from "./api.js";
import { loadRoads } from "./roads.js";
import { loadSites } from "./sites.js";
import { refreshCoverage } from "./boards/coverage.js";

const byId = (items) => new Map(items.map((x) => [x.id, x]));
const incidentList = async () => (await api("/api/v1/incidents?limit=5000")).incidents;
const teamList = () => optional("/api/v1/teams", "teams");
const taskList = () => optional("/api/v1/tasks?active=true", "tasks");
// Live tracks and, for the roles the server gives them to, each threatened zone's probability of
// a strike and the track behind it.
const trackLists = async () => {
  const body = await optionalBody("/api/v1/tracks", "tracks");
  return { tracks: body?.tracks || [], zoneThreats: body?.zones || [] };
};
const board = () => api("/api/v1/board").catch(() => null);

export async function loadAll() {
  // One request for every list below; each then reads its own answer. Should it fail, each
  // list is asked for alone, as before.
  await prime("/api/v1/opening").catch((error) => { if (error.message === "401") throw error; });
  const [zones, incidents, teams, tasks, hospitals, alerts, tracks, watches, pullbacks, threats,
    safety, closures] = await Promise.all([
    api("/api/v1/neighbourhoods").then((d) => d.features),
    incidentList(), teamList(), taskList(),
    optional("/api/v1/hospitals", "hospitals"),
    optional("/api/v1/alerts?outlines=false", "alerts"),
    trackLists(),
    optional("/api/v1/watches", "watches"),
    optional("/api/v1/pullbacks", "pullbacks"),
    optional("/api/v1/threats", "threats"),
    board(),
    optional("/api/v1/roads/closures", "closures"),
  ]);
  set({ zones, incidents: byId(incidents), teams: byId(teams), tasks: byId(tasks), hospitals,
    alerts, ...tracks, watches, pullbacks, threats, board: safety, closures });
}

// A few records are read one by one; more than this, the whole list at once.
const ONE_BY_ONE = 20;

// Each loader reads one list (or the records named by `ids`) and puts it in the store.
export const LOADERS = {
  incidents: async (ids) => {
    if (ids && ids.size && ids.size <= ONE_BY_ONE) {
      for (const incident of ids) {
        try { put("incidents", incident, await api(`/api/v1/incidents/${id(incident)}`)); }
        catch (error) { if (error.status === 404) put("incidents", incident, undefined); else throw error; }
      }
    } else {
      set({ incidents: byId(await incidentList()) });
    }
    clear("recs");
  },
  // A team registered, on or off duty, or moved changes every recommendation.
  teams: async (ids) => {
    if (ids && ids.size && ids.size <= ONE_BY_ONE && get("can").teams) {
      for (const team of ids) put("teams", team, await api(`/api/v1/teams/${id(team)}`));
    } else {
      set({ teams: byId(await teamList()) });
    }
    clear("recs");
  },
  tasks: async () => { set({ tasks: byId(await taskList()) }); clear("recs"); },
  hospitals: async () => set({ hospitals: await optional("/api/v1/hospitals", "hospitals") }),
  alerts: async () => set({ alerts: await optional("/api/v1/alerts?outlines=false", "alerts") }),
  tracks: async () => set(await trackLists()),
  watches: async () => set({ watches: await optional("/api/v1/watches", "watches") }),
  pullbacks: async () => set({ pullbacks: await optional("/api/v1/pullbacks", "pullbacks") }),
  threats: async () => set({ threats: await optional("/api/v1/threats", "threats") }),
  board: async () => set({ board: await board() }),
  closures: async () => {
    if (get("can").closures !== false) set({ closures: await optional("/api/v1/roads/closures", "closures") });
  },
  roads: () => loadRoads(),
  coverage: () => refreshCoverage(),
  // A team leader may write about the incidents their team is sent to: one more, once sent.
  may: async () => {
    if (get("session")?.team) set({ may: (await api("/api/v1/me")).may || {} });
  },
  // The open incident's worksites and victims, when the change is to that incident's.
  sites: async (ids) => {
    const detail = get("detail");
    if (detail?.kind === "incident" && (!ids?.size || ids.has(detail.id))) await loadSites(detail.id);
  },
};
