// The team board: each team's task state, time in state and the next legal steps, offered for
// the teams the user may move; transport asks for the hospital.
import { get, may, ownTeam } from "../state.js";
import { fill, listSep, t, tt } from "../i18n.js";
import { num, plural, teamLabel, unit } from "../numbers.js";
import { act, api } from "../api.js";
import { askForm } from "../dialogs.js";
import { $, STATE_COLOUR, ago, distanceKm, h, toast } from "../util.js";
import { openDetail } from "../detail.js";
import { dangerOf, dangerText } from "../alarm.js";
import { orderChance, orderReason } from "../engine.js";

// A team's live task: the active one it is on (the list holds active tasks only).
export function taskFor(team) {
  for (const task of get("tasks").values()) if (task.team_id === team.id) return task;
  return null;
}

export function teamState(team) {
  if (team.duty !== "on_duty") return team.duty;
  const task = taskFor(team);
  return task ? task.state : "free";
}

export function tasksOf(incidentId) {
  return [...get("tasks").values()].filter((k) => k.incident_id === incidentId);
}

// The steps offered for a task: its legal next ones, if the user may move that team's tasks.
export const stepsOf = (task) => (task && may("move_task", task.team_id) ? task.legal_next : []);

export function renderTeams() {
  const teams = [...get("teams").values()].sort((a, b) => teamLabel(a).localeCompare(teamLabel(b), get("lang")));
  $("#n-teams").textContent = num(teams.length);
  const head = h("tr", {}, h("th", {}, t("team")), h("th", {}, t("task")),
    h("th", {}, t("in_state")), h("th", {}, t("actions")));
  const rows = teams.map((team) => {
    const task = taskFor(team);
    const state = teamState(team);
    // A free team counts from its last task's end, as its recommendation's "rested" does.
    const since = task ? task.times[task.state] : (state === "free" && team.free_since) || team.duty_since;
    const danger = dangerOf(team.id);
    const mark = [ownTeam() === team.id ? "mine" : "", danger ? "danger" : ""].join(" ").trim();
    return h("tr", { "data-team": team.id, "data-state": state, class: mark || null, "data-danger": danger?.kind },
      h("td", {}, h("button", { class: "link", onclick: () => openDetail("team", team.id) }, teamLabel(team)),
        h("br"), h("small", {}, `${plural("crew", team.crew)} · ${tt("sector", team.sector)}`),
        danger ? h("div", { class: "danger-chip", role: "status" }, `⚠ ${dangerText(danger)}`,
          danger.order ? h("small", { class: "why", dir: "auto" }, ...(orderChance(danger.order) ? [orderChance(danger.order)] : orderReason(danger.order))) : null) : null),
      h("td", {}, h("span", { class: "chip", style: `--c:${STATE_COLOUR[state] || "#888"}` },
        tt("state", state)),
      task ? h("button", { class: "link incident-link", onclick: () => openDetail("incident", task.incident_id) },
        task.incident_id) : null),
      h("td", { title: since || "" }, ago(since)),
      h("td", {}, h("div", { class: "acts" }, ...stepsOf(task).map((next) =>
        h("button", { class: `small ${next === "withdrawn" ? "danger" : ""}`,
          onclick: () => transition(task, next) }, tt("state", next))))));
  });
  $("#teams").replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
}

export async function transition(task, state) {
  const body = { state };
  // Transporting names its hospital, chosen by the dispatcher; at hospital keeps that one.
  if (state === "transporting") {
    body.hospital_id = await chooseHospital(task);
    if (!body.hospital_id) return;
  }
  await act(api(`/api/v1/tasks/${task.id}/transition`, { method: "POST", body }));
}

export function incidentPlace(incidentId) {
  const loc = get("incidents").get(incidentId)?.location;
  return loc && loc.lat !== null && loc.lat !== undefined ? loc : null;
}

// Open hospitals, nearest first, as choices in the dialog; the others are named, not offered.
export function hospitalChoices(from) {
  const hospitals = get("hospitals");
  const offered = hospitals.filter((x) => x.status === "open").map((x) => ({
    x, km: from && x.location ? distanceKm(from, x.location) : null,
  })).sort((a, b) => (a.km ?? Infinity) - (b.km ?? Infinity) || a.x.name.localeCompare(b.x.name));
  const refused = hospitals.filter((x) => x.status !== "open");
  return {
    options: offered.map(({ x, km }) => [x.id, x.name,
      `${km === null ? "" : `${unit(km, "kilometer", 1, 1)} · `}${x.kind.replaceAll("_", " ")}`]),
    refusedText: refused.length ? fill(t("not_offered"), { list: refused.map((x) =>
      `${x.name} (${tt("hospital_status", x.status)})`).join(listSep()) }) : "",
  };
}

async function chooseHospital(task) {
  const team = get("teams").get(task.team_id);
  const from = incidentPlace(task.incident_id) || team?.position || team?.base;
  const { options, refusedText } = hospitalChoices(from);
  if (!options.length) { toast(t("no_open_hospital"), true); return null; }
  const values = await askForm({
    title: fill(t("transport_title"), { team: teamLabel(team, task.team_id) }),
    detail: [t("nearest_first"), refusedText].filter(Boolean).join(" "), ok: t("transport"),
    danger: dangerOf(task.team_id) ? `⚠ ${dangerText(dangerOf(task.team_id))}` : "",
    fields: [{ name: "hospital", label: t("destination"), type: "choice", required: true,
      value: options[0][0], options }],
  });
  return values?.hospital || null;
}
