// The detail beside the boards: an incident (its tasks, recommendations, worksites, victims,
// status and reports), a team, a zone, a hospital, an aircraft track or an alert.
import { get, may, put, serverNow, set } from "./state.js";
import { fill, listSep, t, tt } from "./i18n.js";
import { num, percent, plural, teamLabel, unit } from "./numbers.js";
import { act, api, id as enc } from "./api.js";
import { ask, askForm } from "./dialogs.js";
import { $, LEVEL_COLOUR, SEV_COLOUR, STATE_COLOUR, ago, field, h, minutesLeft, time, toast } from "./util.js";
import { dangerOf, dangerText, dangersAt, siteName } from "./alarm.js";
import { chanceText, etaText, featureName, placeName, trackText, zoneChance, zoneLevels } from "./zones.js";
import { reasonText, summaryText } from "./reasons.js";
import { alertReason, orderReason, trackReason, watchReason } from "./engine.js";
import { loadSites, victimsSection, worksitesSection } from "./sites.js";
import { stepsOf, taskFor, tasksOf, teamState, transition } from "./boards/teams.js";

export function openDetail(kind, id) {
  if (get("threatMode")) return;  // the click marks the threat's place instead
  set(kind === "incident" ? { detail: { kind, id }, selected: id } : { detail: { kind, id } });
  $("#detail").hidden = false;
  renderDetail();
  if (kind === "incident") loadIncidentDetail(id);
}

export function closeDetail() {
  set({ detail: null });
  $("#detail").hidden = true;
}

// The incident again, its worksites and victims, and (once) its recommendations.
export async function loadIncidentDetail(incidentId) {
  try { put("incidents", incidentId, await api(`/api/v1/incidents/${enc(incidentId)}`)); } catch { return; }
  await loadSites(incidentId).catch(() => {});
  if (!get("recs").has(incidentId)) {
    const recs = may("read_recommendations") && get("can").teams !== false
      ? await api(`/api/v1/incidents/${enc(incidentId)}/recommendations`).catch(() => null) : null;
    put("recs", incidentId, recs);
  }
}

const VIEWS = { incident: incidentDetail, team: teamDetail, zone: zoneDetail,
  hospital: hospitalDetail, track: trackDetail, alert: alertDetail };

export function renderDetail() {
  const detail = get("detail");
  if (!detail) return;
  const { kind, id } = detail;
  const body = $("#detail-body");
  const parts = VIEWS[kind]?.(id) || [h("p", {}, id)];
  body.replaceChildren(...parts.filter((x) => x !== null && x !== undefined && x !== false));
  body.dataset.kind = kind;
  body.dataset.id = id;
}

// The double-tap watch on an incident's site, if one stands.
export const watchOf = (incidentId) => get("watches").find((w) => w.incident_id === incidentId) || null;

// Minutes left of a watch, kept current by the page's clock (see tickLeft).
const left = (w, key) => h("span", { class: "left", "data-until": w.until, "data-key": key },
  fill(t(key), { left: unit(minutesLeft(w.until), "minute") }));

export function tickLeft() {
  for (const el of document.querySelectorAll("[data-until][data-key]")) {
    el.textContent = fill(t(el.dataset.key), { left: unit(minutesLeft(el.dataset.until), "minute") });
  }
}

const untilText = (w) => time(w.until).textContent;

function watchNote(w) {
  return h("p", { class: "watch-note", title: watchReason(w) }, "⚠ ",
    fill(t("watch_note"), { until: untilText(w) }), " · ", left(w, "watch_left"));
}

function recommendations(id, recs) {
  const out = [h("h3", {}, t("recommendations"))];
  const watch = watchOf(id);
  if (!recs.recommendations.length) out.push(h("p", { class: "hint summary" }, summaryText(recs)));
  const sending = may("assign_team");
  out.push(h("ol", { class: "recs" }, ...recs.recommendations.slice(0, 5).map((r, n) => h("li", { "data-team": r.team_id },
    h("span", { class: "main" }, h("b", {}, h("bdi", {}, teamLabel(get("teams").get(r.team_id), r.name))), ` · ${r.travel_at_least ? "> " : ""}${unit(Math.round(r.travel_s / 60), "minute")}`,
      watch ? h("span", { class: "watch-chip" }, "⚠ ", left(watch, "watch_chip")) : null,
      h("br"), h("small", { class: "reason" }, reasonText(r))),
    !sending ? null : n === 0
      ? h("button", { class: "primary accept", onclick: () => assign(id, r.team_id) }, t("accept"), h("kbd", {}, "A"))
      : h("button", { class: "override", onclick: () => assign(id, r.team_id, true) }, t("send"))))));
  return out;
}

function incidentDetail(id) {
  const i = get("incidents").get(id);
  if (!i) return [h("p", {}, id)];
  const recs = get("recs").get(id);
  const tasks = tasksOf(id);
  const teams = get("teams");
  const watch = watchOf(id);
  const out = [
    ...dangersAt(id).map((d) => h("p", { class: "danger-note", role: "alert", "data-team": d.team_id }, `⚠ ${dangerText(d)}`,
      d.order ? h("small", { class: "why", dir: "auto" }, ...orderReason(d.order)) : null)),
    watch ? watchNote(watch) : null,
    h("h2", {}, h("span", { class: "sev", style: `--c:${SEV_COLOUR[i.severity]}` }, num(i.severity)),
      ` ${i.id} · ${tt("kind", i.kind)} `, h("span", { class: `pill status-${i.status}` }, tt("status", i.status))),
    h("div", { class: "fields" },
      field(t("zone"), placeName(i)),
      field(t("reports"), num(i.report_count)),
      field(t("trapped"), ...trappedValue(i, get("sites").get(id))),
      field(t("casualties"), num(i.casualties) || "–"),
      field(t("first_received"), time(i.first_received_at)),
      lastReceived(i) ? field(t("last_received"), time(lastReceived(i))) : null,
      field(t("first_report"), time(i.first_report_at)), field(t("last_report"), time(i.last_report_at))),
  ];
  if (tasks.length) {
    out.push(h("h3", {}, t("tasks")), h("ul", { class: "plain" }, ...tasks.map((k) =>
      h("li", {}, `${teamLabel(teams.get(k.team_id), k.team_id)}: `, h("b", {}, tt("state", k.state)), ` (${ago(k.times[k.state])})`,
        dangerOf(k.team_id) ? h("span", { class: "danger-chip" }, `⚠ ${dangerText(dangerOf(k.team_id))}`) : null))));
  }
  if (recs && recs.recommendations) out.push(...recommendations(id, recs));
  const sites = get("sites").get(id);
  if (sites) out.push(...worksitesSection(i, sites), ...victimsSection(i, sites));
  if (may("set_incident_status", id)) {
    out.push(h("h3", {}, t("set_status")), h("div", { class: "acts" },
      ...["responding", "cleared", "closed"].filter((s) => s !== i.status).map((s) =>
        h("button", { onclick: () => setStatus(id, s) }, tt("status", s)))));
  }
  if (i.reports) out.push(h("h3", {}, t("reports")), h("ul", { class: "plain reports" }, ...i.reports.map(reportLine)));
  return out;
}

// A report with both its times named: when it arrived and when its sender saw what it tells.
function reportLine(r) {
  return h("li", { "data-report": r.id },
    h("span", { class: "received" }, `${t("received")} `, time(r.received_at)), " · ",
    h("small", { class: "observed" }, `${t("observed")} `, time(r.observed_at)),
    ` · ${tt("kind", r.kind)} · ${tt("source", r.source)}`,
    r.trapped ? ` · ${plural("trapped", r.trapped)}` : "",
    r.casualties ? ` · ${plural("casualties", r.casualties)}` : "",
    r.text ? h("q", { dir: "auto" }, r.text) : null);
}

const lastReceived = (i) => (i.reports || []).map((r) => r.received_at).sort().pop();

// Trapped as reported and as recorded victims still trapped, the larger first, each named.
function trappedValue(i, sites) {
  const recorded = sites ? sites.victims.filter((v) => v.status === "trapped").length : null;
  const reported = i.trapped ?? 0;
  if (!recorded && !i.trapped) return [num(i.trapped) || "–"];
  const parts = [`${num(i.trapped ?? 0)} ${t("trapped_reported")}`];
  if (recorded !== null) parts.push(`${num(recorded)} ${t("trapped_recorded")}`);
  return [h("span", { class: "trapped-total" }, num(Math.max(reported, recorded || 0))), " ",
    h("small", {}, `(${parts.join(" · ")})`)];
}

// The last trapped report received within 30 min, if any: clearing then asks twice.
const RECENT_TRAPPED_MS = 30 * 60 * 1000;
function recentTrapped(i) {
  const recent = (i.reports || []).filter((r) => r.trapped && serverNow() - Date.parse(r.received_at) <= RECENT_TRAPPED_MS);
  return recent.sort((a, b) => a.received_at.localeCompare(b.received_at)).pop() || null;
}

// Sending a team takes two steps: choosing it (the button, or A), then confirming with the team
// and the site named. A second send to the same incident within a few seconds asks again,
// naming the team sent before, with Cancel as the answer Enter gives.
const AGAIN_S = 15;
const lastSent = new Map();

// The team sent to an incident in the last few seconds: from this page, or (by its task's time)
// from another.
function recentSend(incidentId) {
  const mine = lastSent.get(incidentId);
  if (mine && Date.now() - mine.at < AGAIN_S * 1000) return { team: mine.team, s: (Date.now() - mine.at) / 1000 };
  for (const k of tasksOf(incidentId)) {
    const s = (serverNow() - Date.parse(k.times?.assigned || "")) / 1000;
    if (s >= 0 && s < AGAIN_S) return { team: k.team_id, s };
  }
  return null;
}

export async function assign(incidentId, teamId, overriding = false) {
  const team = teamLabel(get("teams").get(teamId), teamId);
  const site = siteName(incidentId);
  const earlier = recentSend(incidentId);
  const watch = watchOf(incidentId);
  const names = { team, site };
  const notes = [fill(t("send_detail"), names)];
  if (watch) notes.push(`${fill(t("watch_note"), { until: untilText(watch) })} · ${fill(t("watch_left"), { left: unit(minutesLeft(watch.until), "minute") })}.`);
  const ago = earlier ? unit(Math.max(1, Math.round(earlier.s)), "second") : "";
  const title = earlier ? fill(t("send_again_title"), { ...names, ago })
    : fill(t(overriding ? "override_title" : "send_title"), names);
  const danger = earlier ? fill(t("send_again"), { ...names, earlier: teamLabel(get("teams").get(earlier.team), earlier.team),
    ago }) : "";
  const ok = fill(t(earlier ? "send_again_ok" : "send_ok"), names);
  // Overriding asks why in the same step; accepting only confirms.
  const values = overriding
    ? await ask({ title, detail: notes.join(" "), danger, label: t("reason_needed"), ok }).then((reason) => (reason ? { reason } : null))
    : await askForm({ title, detail: notes.join(" "), danger, fields: [], ok, focusCancel: Boolean(earlier) });
  if (!values) return;
  const body = { team_id: teamId, reason: values.reason || "" };
  const done = await act(api(`/api/v1/incidents/${enc(incidentId)}/assign`, { method: "POST", body }), fill(t("sent"), names));
  if (done) {
    lastSent.set(incidentId, { team: teamId, at: Date.now() });
    put("recs", incidentId, undefined);
    loadIncidentDetail(incidentId);
  }
}

async function setStatus(id, status) {
  const trapped = ["cleared", "closed"].includes(status) ? recentTrapped(get("incidents").get(id) || {}) : null;
  const detail = trapped ? fill(t("trapped_recent"), { trapped: plural("trapped", trapped.trapped),
    time: time(trapped.received_at).textContent,
    ago: unit(Math.round((serverNow() - Date.parse(trapped.received_at)) / 60000), "minute") }) : "";
  const reason = await ask({
    title: t("status_title").replace("{incident}", id).replace("{status}", tt("status", status)),
    label: t("status_reason"), value: tt("status", status), ok: t("set_status"), detail, warn: Boolean(trapped) });
  if (reason) act(api(`/api/v1/incidents/${id}/status`, { method: "POST", body: { status, reason } }));
}

function teamDetail(id) {
  const team = get("teams").get(id);
  if (!team) return [h("p", {}, id)];
  const task = taskFor(team);
  return [
    h("h2", {}, teamLabel(team), " ", h("span", { class: "chip", style: `--c:${STATE_COLOUR[teamState(team)]}` }, tt("state", teamState(team)))),
    h("div", { class: "fields" },
      field(t("duty"), tt("state", team.duty)), field(t("base"), team.base?.name || ""),
      field(t("position"), team.position ? ago(team.position.at || team.updated_at) : "–"),
      field(tt("sector", team.sector), plural("crew", team.crew)),
      field("", team.capabilities.map((c) => tt("capability", c)).join(listSep()))),
    task ? h("div", { class: "acts" }, h("button", { onclick: () => openDetail("incident", task.incident_id) }, task.incident_id),
      ...stepsOf(task).map((next) => h("button", { onclick: () => transition(task, next) }, tt("state", next)))) : null,
  ];
}

function zoneDetail(pcode) {
  const f = get("zones").find((z) => z.id === pcode);
  const current = zoneLevels().get(pcode);
  const chance = zoneChance(pcode);
  const incidents = [...get("incidents").values()].filter((i) => i.neighbourhood?.pcode === pcode);
  const ar = get("lang") === "ar";
  return [
    h("h2", {}, f ? featureName(f) : pcode, ` (${pcode})`),
    h("div", { class: "fields" },
      field(t("level"), current ? tt("alert_level", current.level) : tt("alert_level", "none")),
      current ? field(t("eta"), etaText(current.alert, current.zone) || "–") : null,
      chance ? field(t("chance_label"), percent(chance.probability)) : null,
      chance ? field(t("track_label"), trackText(chance.threat_id, chance.track?.aircraft)) : null,
      field(t("tab_queue"), num(incidents.length))),
    // Why the zone stands at its level: its alert's reason, worded from its parts.
    current?.alert ? h("p", { class: "reason zone-reason" }, alertReason(current.alert)) : null,
    current ? h("p", {}, ar ? current.alert.instruction_ar : current.alert.instruction_en) : null,
  ];
}

function hospitalDetail(id) {
  const hosp = get("hospitals").find((x) => x.id === id);
  if (!hosp) return [h("p", {}, id)];
  return [h("h2", {}, `✚ ${hosp.name}`), h("div", { class: "fields" },
    field(t("hospital"), hosp.kind), field("", tt("hospital_status", hosp.status)),
    field("", time(hosp.updated_at)))];
}

function trackDetail(id) {
  const track = get("tracks").find((x) => x.id === id);
  if (!track) return [h("p", {}, id)];
  const why = trackReason(track);
  return [h("h2", {}, `✈ ${track.id} · ${tt("aircraft_kind", track.aircraft)}`),
    why ? h("p", { class: "reason track-reason" }, why) : null,
    h("div", { class: "fields" },
      field(t("uncertainty"), unit(Math.round(track.uncertainty_m), "meter")),
      field(t("speed"), unit(Math.round(track.speed_mps * 3.6), "kilometer-per-hour")),
      field(t("sightings"), num(track.sightings)), field("", time(track.at)),
      field(t("zones"), num(track.zones.length)))];
}

function alertDetail(id) {
  const a = get("alerts").find((x) => x.alert_id === id);
  if (!a) return [h("p", {}, id)];
  const ar = get("lang") === "ar";
  return [
    h("h2", {}, h("span", { class: "chip", style: `--c:${LEVEL_COLOUR[a.level] || "#2fa84f"}` }, tt("alert_level", a.level)), ` ${a.alert_id}`),
    h("p", {}, h("b", {}, ar ? a.headline_ar : a.headline_en)),
    h("p", {}, ar ? a.instruction_ar : a.instruction_en),
    h("div", { class: "fields" }, field("", time(a.sent)), field(t("until"), time(a.expires)),
      field(t("zones"), num(a.zones.length))),
    h("ul", { class: "plain" }, ...a.zones.slice(0, 30).map((z) => h("li", {},
      `${(ar ? z.name_ar : z.name_en) || z.pcode} `, h("small", {}, etaText(a, z)),
      a.status === "active" && chanceText(z.pcode) ? h("small", { class: "chance" }, ` · ${chanceText(z.pcode)}`) : null))),
    h("a", { href: `/api/v1/alerts/${a.alert_id}.cap`, target: "_blank" }, "CAP 1.2"),
  ];
}
