// Rescuers' safety: pull-back orders and their acknowledgements, double-tap watches, check-in
// alarms; and a threat marked on the map.
import { get, may, ownTeam, set } from "../state.js";
import { fill, t } from "../i18n.js";
import { num, teamLabel, unit } from "../numbers.js";
import { act, api } from "../api.js";
import { ask } from "../dialogs.js";
import { $, empty, h, minutesLeft, time, toast } from "../util.js";
import { orderEnding, orderReason, watchReason } from "../engine.js";
import { openDetail } from "../detail.js";
import { drawWhenShown, showTab } from "../tabs.js";

const teamName = (id) => teamLabel(get("teams").get(id), id);

function pullbackRow(p) {
  const mine = ownTeam() === p.team_id ? "mine" : "";
  const acknowledge = () => act(api(`/api/v1/pullbacks/${p.id}/acknowledge`, { method: "POST", body: { note: "" } }));
  return h("li", { class: `row pullback ${p.acknowledged_at || p.ended_at ? "done" : "open"} ${p.escalated_at ? "escalated" : ""} ${mine}`, "data-id": p.id, "data-team": p.team_id },
    h("span", { class: "main" }, h("b", {}, `${p.id} · ${teamName(p.team_id)} ← ${p.incident_id}`),
      p.escalated_at ? h("span", { class: "pill bad" }, t("escalated")) : null,
      h("br"), h("small", { class: "reason" }, ...orderReason(p))),
    h("span", { class: "when" }, time(p.issued_at), h("br"),
      p.acknowledged_at ? h("small", {}, `${t("acknowledged")} `, time(p.acknowledged_at))
        : p.ended_at ? h("small", { title: orderEnding(p) }, `${t("order_ended")} `, time(p.ended_at))
        : !may("acknowledge_pullback", p.team_id) ? h("small", { class: "ack-by" }, fill(t("ack_by_leader"), { team: teamName(p.team_id) }))
          : h("button", { class: "primary small", onclick: acknowledge }, t("acknowledge"))));
}

function watchRow(w) {
  return h("li", { class: "row", onclick: () => openDetail("incident", w.incident_id) },
    h("span", { class: "main" }, h("b", {}, w.incident_id), h("br"),
      h("small", { title: watchReason(w) }, `${t("watch")} · ${t("until")} `, time(w.until))),
    h("span", { class: "when" }, `${unit(minutesLeft(w.until), "minute")} ${t("left")}`));
}

function alarmRow(a) {
  const relay = () => act(api(`/api/v1/teams/${a.team_id}/checkin`, { method: "POST", body: { note: "relayed by the operations room" } }));
  return h("li", { class: `row alarm ${a.acknowledged_at ? "done" : "open"}`, "data-team": a.team_id },
    h("span", { class: "main", onclick: () => openDetail("incident", a.incident_id) },
      h("b", {}, `${teamLabel(get("teams").get(a.team_id), a.team)} · ${a.incident_id}`), h("br"),
      h("small", {}, `${t("last_checkin")} `, a.last_checkin_at ? time(a.last_checkin_at) : "–"),
      a.acknowledged_at ? h("small", {}, ` · ${t("acknowledged")} `, time(a.acknowledged_at)) : null),
    may("check_in", a.team_id) ? h("button", { class: "primary small", onclick: relay }, t("checked_in")) : null);
}

export function renderSafety() {
  const pullbacks = get("pullbacks"), watches = get("watches");
  const alarms = get("board")?.checkin_alarms || [];
  $("#n-safety").textContent = num(pullbacks.filter((p) => !p.acknowledged_at && !p.ended_at).length
    + alarms.filter((a) => !a.acknowledged_at).length);
  drawWhenShown("safety", () => {
    $("#pullbacks").replaceChildren(...(pullbacks.length ? pullbacks.slice(0, 100).map(pullbackRow) : empty()));
    $("#watches").replaceChildren(...(watches.length ? watches.map(watchRow) : empty()));
    $("#checkins").replaceChildren(...(alarms.length ? alarms.map(alarmRow) : empty()));
  });
}

// The threat button: offered by servers whose dispatch has rescuers' safety, to users who may.
export function renderThreatButton() {
  $("#threat").hidden = !get("can").threats || !may("report_threat");
}

// Marking a threat: the next click on the map places it.
export function armThreat() {
  if ($("#threat").hidden) return;
  const on = !get("threatMode");
  set({ threatMode: on });
  $("#map").classList.toggle("arming", on);
  $("#threat").classList.toggle("on", on);
  if (on) toast(t("threat_click"));
}

export async function reportThreat(latlng) {
  armThreat();
  const reason = await ask({ title: t("threat_title"), label: t("threat_reason"), ok: t("report_threat") });
  if (!reason) return;
  const done = await act(api("/api/v1/threats", { method: "POST",
    body: { lat: latlng.lat, lon: latlng.lng, radius_m: 500, reason } }));
  if (done) showTab("safety");
}
