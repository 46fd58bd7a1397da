// Rescuers in danger take over the page: an escalated pull-back order or a check-in alarm shows
// in a banner across the top, changes the page's title and sounds until a person acknowledges
// it; the team's row, every incident it is on and every dialog about it say so too. Silencing
// is this page's own: the banner and the marks stay until the order is acknowledged or ends
// (its team free again) and the alarm until the team checks in or a dispatcher acknowledges it
// (an event, so every room stops; another interval of silence sounds it again).
import { get, may } from "./state.js";
import { fill, t } from "./i18n.js";
import { teamLabel } from "./numbers.js";
import { act, api, id as enc } from "./api.js";
import { $, ago, h } from "./util.js";
import { zoneName } from "./zones.js";

const teamName = (id) => teamLabel(get("teams").get(id), id);
const open = (p) => !p.acknowledged_at && !p.ended_at;
const sounding = () => (get("board")?.checkin_alarms || []).filter((a) => !a.acknowledged_at);

// The site an order or alarm is about: the incident and its zone by name.
export function siteName(incidentId) {
  const i = get("incidents").get(incidentId);
  return i?.neighbourhood?.pcode ? `${incidentId} (${zoneName(i.neighbourhood.pcode)})` : incidentId;
}

// What puts a team in danger now: its open pull-back order, or its check-in alarm.
export function dangerOf(teamId) {
  const order = get("pullbacks").find((p) => p.team_id === teamId && open(p));
  if (order) return { kind: order.escalated_at ? "escalated" : "pullback", order, team_id: teamId, incident_id: order.incident_id };
  const alarm = sounding().find((a) => a.team_id === teamId);
  return alarm ? { kind: "checkin", alarm, team_id: teamId, incident_id: alarm.incident_id } : null;
}

// The danger in words, for a row, an incident or a dialog.
export function dangerText(d) {
  const key = { escalated: "danger_escalated", pullback: "danger_pullback", checkin: "danger_checkin" }[d.kind];
  return fill(t(key), { team: teamName(d.team_id), site: siteName(d.incident_id) });
}

// Teams in danger on an incident.
export function dangersAt(incidentId) {
  const teams = new Set([...get("tasks").values()].filter((k) => k.incident_id === incidentId).map((k) => k.team_id));
  for (const p of get("pullbacks")) if (p.incident_id === incidentId && open(p)) teams.add(p.team_id);
  return [...teams].map(dangerOf).filter(Boolean);
}

// What takes over the page: escalated orders still open, one item a team (a threat and the alert
// it came from may order the same team twice), and check-in alarms.
function alarms() {
  const byTeam = new Map();
  for (const p of get("pullbacks").filter((x) => open(x) && x.escalated_at)) {
    if (!byTeam.has(p.team_id)) byTeam.set(p.team_id, []);
    byTeam.get(p.team_id).push(p);
  }
  const orders = [...byTeam.values()].map((all) => ({ key: `order:${all.map((p) => p.id).join(",")}`, kind: "escalated",
    order: all[0], orders: all, team_id: all[0].team_id, incident_id: all[0].incident_id }));
  const checkins = sounding()
    .map((alarm) => ({ key: `checkin:${alarm.task_id}:${alarm.alarm_at}`, kind: "checkin", alarm, team_id: alarm.team_id, incident_id: alarm.incident_id }));
  return [...orders, ...checkins];
}

const silenced = new Set();
const TITLE = document.title;

function acknowledgeButton(a) {
  if (a.kind === "escalated") {
    if (!may("acknowledge_pullback", a.team_id)) return h("small", {}, fill(t("ack_by_leader"), { team: teamName(a.team_id) }));
    const acknowledge = () => act(Promise.all(a.orders.map((p) => api(`/api/v1/pullbacks/${enc(p.id)}/acknowledge`,
      { method: "POST", body: { note: "acknowledged in the operations room" } }))), t("acknowledged_done"));
    return h("button", { class: "primary ack", onclick: acknowledge }, t("acknowledge"));
  }
  const acknowledge = may("acknowledge_checkin_alarm") ? h("button", { class: "primary ack", onclick: () => act(
    api(`/api/v1/teams/${enc(a.team_id)}/checkin-alarm/acknowledge`, { method: "POST",
      body: { note: "acknowledged in the operations room" } }), t("alarm_acknowledged_done")) }, t("acknowledge")) : null;
  const relay = may("check_in", a.team_id) ? h("button", { class: "relay", onclick: () => act(api(`/api/v1/teams/${enc(a.team_id)}/checkin`,
    { method: "POST", body: { note: "relayed by the operations room" } })) }, t("checked_in")) : null;
  return acknowledge || relay ? h("span", { class: "alarm-actions" }, acknowledge, relay) : null;
}

export function renderAlarm() {
  const items = alarms();
  const banner = $("#safety-banner");
  for (const key of [...silenced]) if (!items.some((a) => a.key === key)) silenced.delete(key);
  banner.hidden = !items.length;
  document.body.classList.toggle("in-danger", items.length > 0);
  document.title = items.length ? `⚠ ${dangerText(items[0])} — ${TITLE}` : TITLE;
  banner.replaceChildren(...items.map((a) => h("div", { class: `alarm-item ${a.kind}`, "data-team": a.team_id, "data-key": a.key },
    h("b", {}, `⚠ ${dangerText(a)}`),
    h("small", {}, a.kind === "escalated"
      ? fill(t("danger_waiting"), { ago: ago(a.order.issued_at) })
      : fill(t("danger_silent"), { ago: ago(a.alarm.last_checkin_at) })),
    acknowledgeButton(a),
    silenced.has(a.key) ? h("small", { class: "muted" }, t("silenced"))
      : h("button", { class: "silence", onclick: () => { silenced.add(a.key); renderAlarm(); } }, t("silence")))),
  ...[soundHint()].filter(Boolean));
  const loud = items.filter((a) => !silenced.has(a.key));
  if (loud.length) startSound(); else stopSound();
  banner.dataset.sound = soundState;
}

// --- the sound: two tones every two seconds, made in the page (no file to fetch) -------------

let ctx = null;
let timer = null;
let soundState = "off";

function soundHint() {
  return soundState === "blocked" ? h("small", { class: "sound-hint" }, t("sound_blocked")) : null;
}

function beep() {
  if (!ctx || ctx.state !== "running") { soundState = "blocked"; $("#safety-banner").dataset.sound = soundState; return; }
  soundState = "playing";
  const banner = $("#safety-banner");
  banner.dataset.sound = soundState;
  banner.dataset.beeps = String(Number(banner.dataset.beeps || 0) + 1);
  const now = ctx.currentTime;
  for (const [n, freq] of [[0, 880], [1, 660]]) {
    const osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.25, now + n * 0.3);
    gain.gain.exponentialRampToValueAtTime(0.001, now + n * 0.3 + 0.28);
    osc.connect(gain).connect(ctx.destination);
    osc.start(now + n * 0.3);
    osc.stop(now + n * 0.3 + 0.3);
  }
}

function startSound() {
  if (timer) return;
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!ctx && Context) ctx = new Context();
  ctx?.resume?.().catch(() => {});
  beep();
  timer = setInterval(beep, 2000);
}

function stopSound() {
  clearInterval(timer);
  timer = null;
  soundState = "off";
}

// Browsers start sound only after a person has touched the page: the first touch unlocks it.
export function unlockSoundOnGesture() {
  const unlock = () => {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!ctx && Context) ctx = new Context();
    ctx?.resume?.().then(() => { if (timer) beep(); }).catch(() => {});
  };
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlock, { capture: true });
}
