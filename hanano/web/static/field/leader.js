// A team leader's screen: the team's current task with its next legal steps as big buttons,
// check-in and the team's position; a pull-back order takes over the whole screen, vibrating
// and sounding, until it is acknowledged. Steps wait in the outbox like everything else.
import { $, h, uuid4, withTimes } from "../room/util.js";
import { both, fill, t, tt } from "./i18n.js";
import { call } from "./net.js";
import { item, save } from "./store.js";
import { position, standIn, zoneAt } from "./place.js";
import { sitesView } from "./sites.js";

const TASK = "hanano.field.task";
// What each step leads to, as the server's task rules have it (GET /tasks gives the legal
// steps from the state it last saw); used only to offer the next step while offline.
const NEXT = { assigned: ["en_route"], en_route: ["on_scene"], on_scene: ["transporting", "returning"],
  transporting: ["at_hospital"], at_hospital: ["returning"], returning: ["available"] };
const CHECKIN_NOTE = "check-in from the field app / تفقد من التطبيق الميداني";

const kept = () => JSON.parse(localStorage.getItem(TASK) || "null");
const keep = (task) => localStorage.setItem(TASK, JSON.stringify(task));

async function queueStep(task, state, hospitalId, queued) {
  const body = { id: uuid4(), observed_at: new Date().toISOString(), task_id: task.id, state };
  const send = { state, reason: "field app" };
  if (hospitalId) send.hospital_id = hospitalId;
  await save(item("step", `/api/v1/tasks/${encodeURIComponent(task.id)}/transition`, body, { state }, { send }));
  // Shown moved on at once: the outbox says whether the server has it yet.
  keep({ ...task, state, legal_next: NEXT[state] || [] });
  queued();
}

// The team's position, and with a note its check-in, as one OpenRosa team-status form: the
// form's instance id makes a resend harmless, and the answer names the log index.
async function queueStatus(who, note, queued) {
  const fix = await position(10000);
  if (fix) standIn(zoneAt(fix.lat, fix.lon)?.pcode);
  if (!fix) {
    if (note) await save(item("checkin", `/api/v1/teams/${encodeURIComponent(who.team)}/checkin`,
      { id: uuid4(), observed_at: new Date().toISOString() }, {}, { send: { note } }));
  } else {
    await save(item("status", "openrosa", { id: uuid4(), observed_at: new Date().toISOString(), ...fix,
      note }, { checkin: Boolean(note) }));
  }
  queued();
}

function hospitalPicker(task, queued, box) {
  call("/api/v1/hospitals").then(({ hospitals }) => {
    box.replaceChildren(...hospitals.filter((x) => x.status === "open").map((x) =>
      h("button", { type: "button", class: "big", "data-hospital": x.id,
        onclick: () => queueStep(task, "transporting", x.id, queued) }, x.name)));
  }).catch(() => {});
}

function drawTask(card, who, queued) {
  const task = kept();
  if (!task || task.team_id !== who.team || !(task.legal_next || []).length) {
    card.replaceChildren(h("h1", {}, t("task_title")), h("p", { class: "hint" }, t("no_task")));
    return;
  }
  const pick = h("div", { class: "steps" });
  card.replaceChildren(h("h1", {}, t("task_title")),
    h("p", { class: "state" }, `${task.incident_id} · `, h("b", { "data-state": task.state }, tt("state", task.state))),
    h("div", { class: "steps" }, ...task.legal_next.filter((s) => s !== "withdrawn").map((s) =>
      h("button", { type: "button", class: "primary big", "data-step": s, onclick: () => (s === "transporting"
        ? hospitalPicker(task, queued, pick) : queueStep(task, s, null, queued)) }, tt("state", s)))),
    pick);
}

let siren = null;
function alarm(on) {
  clearInterval(siren);
  siren = null;
  if (!on) { navigator.vibrate?.(0); return; }
  const Context = window.AudioContext || window.webkitAudioContext;
  const ctx = Context ? new Context() : null;
  const sound = () => {
    navigator.vibrate?.([600, 200, 600]);
    if (!ctx || ctx.state !== "running") { ctx?.resume?.().catch(() => {}); return; }
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.5);
  };
  sound();
  siren = setInterval(sound, 1500);
}

function takeover(order, who, done) {
  const box = $("#f-takeover");
  if (!order) { box.hidden = true; alarm(false); return; }
  box.hidden = false;
  box.dataset.order = order.id;
  box.replaceChildren(h("h1", {}, h("span", { lang: "ar" }, both("pullback").ar), h("br"),
    h("span", { lang: "en" }, both("pullback").en)),
    h("p", {}, ...withTimes(document.documentElement.lang === "ar" ? order.reason_ar || order.reason : order.reason)),
    h("button", { type: "button", id: "f-pullback-ack", onclick: async () => {
      await call(`/api/v1/pullbacks/${encodeURIComponent(order.id)}/acknowledge`,
        { method: "POST", body: { note: fill("{team}: pulling back", { team: who.team }) } });
      done();
    } }, t("pullback_ack")));
  if (!siren) alarm(true);
}

// The worksite and victim forms, drawn again only when the team's incident changes: a refresh of
// the task must not wipe what is being typed.
function drawSites(box, who, queued) {
  const task = kept();
  const incident = task && task.team_id === who.team ? task.incident_id : "";
  if (box.dataset.incident === incident && box.isConnected) return;
  box.dataset.incident = incident;
  box.replaceChildren(...(incident ? sitesView(task, queued) : []));
}

export function leaderView({ who, queued }) {
  const card = h("section", { id: "f-task", class: "card" });
  const sites = h("div", { id: "f-sites", class: "steps" });
  const done = () => { drawTask(card, who, done); queued(); };
  const refresh = async () => {
    if (!navigator.onLine || !card.isConnected) return;
    try {
      const [{ tasks }, { pullbacks }] = await Promise.all([
        call("/api/v1/tasks?active=true"), call("/api/v1/pullbacks?open=true")]);
      keep(tasks.find((x) => x.team_id === who.team) || null);
      drawTask(card, who, done);
      drawSites(sites, who, queued);
      takeover(pullbacks.find((p) => p.team_id === who.team), who, refresh);
    } catch {
      // No network: the task as last seen stays up.
    }
  };
  drawTask(card, who, done);
  drawSites(sites, who, queued);
  refresh();
  const timer = setInterval(() => (card.isConnected ? refresh() : clearInterval(timer)), 5000);
  return [card, h("div", { class: "card" },
    h("button", { type: "button", class: "big", id: "f-checkin", onclick: () => queueStatus(who, CHECKIN_NOTE, queued) }, t("checkin")),
    h("button", { type: "button", class: "big", id: "f-position", onclick: () => queueStatus(who, "", queued) }, t("send_position"))),
    sites];
}
