// The operations room: one page over the JSON API and the live stream. This module wires the
// parts together: login, language and theme, keyboard, and which part draws which piece of the
// store.
import { everyKey, flush, get, notify, ownTeam, serverNow, set, setClock, subscribe } from "./state.js";
import { t, tt } from "./i18n.js";
import { DIGIT_SYSTEMS, teamLabel } from "./numbers.js";
import { api, onUnauthorised } from "./api.js";
import { trapFocus } from "./dialogs.js";
import { $, h, time } from "./util.js";
import { connect, disconnect, onEnded } from "./stream.js";
import { loadAll } from "./resources.js";
import { loadRoads } from "./roads.js";
import {
  credit, drawHospitals, drawIncidents, drawTeams, drawThreats, drawTracks, drawWatches, drawZones,
  hasMap, initMap, layer, layerSwitch, onOverlayAdd, paintZones, renderLegend,
} from "./map.js";
import { closeDetail, openDetail, renderDetail, assign, tickLeft } from "./detail.js";
import { renderAlarm, unlockSoundOnGesture } from "./alarm.js";
import { TABS, showTab } from "./tabs.js";
import { markSelected, moveSelection, renderQueue, tickQueue } from "./boards/queue.js";
import { renderTeams } from "./boards/teams.js";
import { armZonePick, issueAlert, renderAlerts, renderSightingForm, reportSighting, updateReach } from "./boards/alerts.js";
import { armThreat, renderSafety, renderThreatButton } from "./boards/safety.js";
import { renderTimeline } from "./boards/timeline.js";
import { focusRadio, renderRadio, wireRadio } from "./radio.js";
import { drawCoverage, refreshCoverage, renderCoverage } from "./boards/coverage.js";
import { refreshMirror, renderMirror } from "./mirror.js";

const renderClock = () => $("#clock").replaceChildren(time(new Date(serverNow()).toISOString()));

// Which part draws which keys of the store; every part also follows the page's language.
const VIEWS = [
  [["zones"], drawZones],
  [["alerts", "zoneThreats", "tracks", "lang"], paintZones],
  [["lang"], () => { paintZones(); renderLegend(); layerSwitch(); credit(); renderWho(); }],
  [["incidents"], drawIncidents],
  [["teams", "tasks", "lang"], drawTeams],
  [["hospitals"], drawHospitals],
  [["tracks"], drawTracks],
  [["watches", "lang"], drawWatches],
  [["threats", "closures", "lang"], drawThreats],
  [["pullbacks", "board", "teams", "incidents", "may", "lang"], renderAlarm],
  [["incidents", "tasks", "teams", "pullbacks", "board", "lang"], renderQueue],
  [["selected"], markSelected],
  [["teams", "tasks", "pullbacks", "board", "may", "lang"], renderTeams],
  [["alerts", "zones", "may", "lang"], renderAlerts],
  [["zones", "may", "lang"], renderSightingForm],
  [["may", "lang"], renderRadio],
  [["pullbacks", "watches", "board", "teams", "may", "lang"], renderSafety],
  [["incidents", "alerts", "pullbacks", "streamed", "teams", "hospitals", "zones", "lang"], renderTimeline],
  [["coverage", "teams", "zones", "lang"], renderCoverage],
  [["coverage", "teams", "zones", "lang"], drawCoverage],
  [["detail", "incidents", "teams", "tasks", "recs", "sites", "identities", "hospitals", "tracks", "zoneThreats",
    "alerts", "zones", "watches", "pullbacks", "board", "may", "lang"], renderDetail],
  [["streamed"], renderClock],
];

function wire() {
  for (const [keys, draw] of VIEWS) {
    subscribe(keys, () => { if (get("session")?.authenticated && hasMap()) draw(); });
  }
  subscribe(["live", "session", "lang"], renderLive);
  // Shown on the login page as well: who signs in must know this is no primary.
  subscribe(["mirror", "lang"], renderMirror);
}

function renderLive() {
  const on = get("live");
  $("#live").className = on ? "live on" : "live off";
  $("#live").textContent = on ? t("live") : get("session") ? t("reconnecting") : t("offline");
}

// --- language and theme -------------------------------------------------------------------

const KEYS = [
  ["J / ↓", "k_next"], ["K / ↑", "k_prev"], ["Enter", "k_open"], ["A", "k_accept"],
  ["1 – 5", "k_tabs"], ["R", "k_radio"], ["X", "k_threat"], ["L", "k_lang"], ["N", "k_theme"], ["Esc", "k_close"], ["?", "k_help"],
];

function applyLanguage() {
  const lang = get("lang");
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("#lang").textContent = lang === "ar" ? "English" : "العربية";
  $("#help-open").title = t("shortcuts");
  renderDigits();
  $("#help-keys").replaceChildren(...KEYS.flatMap(([k, d]) => [h("dt", {}, h("kbd", {}, k)), h("dd", {}, t(d))]));
  renderLive();
}

// The digit system of the Arabic page, chosen in the help dialog.
function renderDigits() {
  const select = $("#digits");
  $("#digits-label").textContent = t("digits_label");
  select.replaceChildren(...DIGIT_SYSTEMS.map((v) => h("option", { value: v }, tt("digit_system", v))));
  select.value = localStorage.getItem("hanano.digits.ar") || "latn";
}

function chooseDigits(event) {
  localStorage.setItem("hanano.digits.ar", event.target.value);
  set({ lang: get("lang") });
  renderClock();
}

function renderWho() {
  const session = get("session");
  if (!session) return;
  const mine = ownTeam() && get("teams").get(ownTeam());
  $("#who").textContent = [session.username || session.user_id, tt("role", session.role),
    mine ? teamLabel(mine) : null].filter(Boolean).join(" · ");
}

function toggleLanguage() {
  const lang = get("lang") === "ar" ? "en" : "ar";
  localStorage.setItem("hanano.lang", lang);
  set({ lang });
  applyLanguage();
}

function toggleTheme() {
  const dark = !document.documentElement.classList.contains("dark");
  document.documentElement.classList.toggle("dark", dark);
  localStorage.setItem("hanano.theme", dark ? "dark" : "light");
}

// --- login --------------------------------------------------------------------------------

let prelogin = null;

function showLogin() {
  set({ session: null });
  $("#room").hidden = true;
  $("#login").hidden = false;
  $("#logout").hidden = true;
  $("#who").textContent = "";
  disconnect();
  api("/api/v1/session", { login: true }).then((s) => { prelogin = s.csrf; }).catch(() => {});
  $("#username").focus();
}

async function login(event) {
  event.preventDefault();
  $("#login-error").textContent = "";
  const form = event.target;
  try {
    if (!prelogin) prelogin = (await api("/api/v1/session", { login: true })).csrf;
    const session = await api("/api/v1/session", {
      method: "POST", login: true, headers: { "X-CSRF-Token": prelogin },
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
  setClock(session.clock.now, session.clock.speed);
  set({ session });
  $("#login").hidden = true;
  $("#room").hidden = false;
  $("#logout").hidden = false;
  renderWho();
  initMap();
  // What this user may do, as the server says, before anything offers it.
  set({ may: session.may || (await api("/api/v1/me")).may || {} });
  // Signed in, the page may now be told which primary a mirror copies.
  refreshMirror();
  connect(session.clock.event_types || []);
  await loadAll();
  renderThreatButton();
  layerSwitch();
  notify(...everyKey());
  flush();
  renderWho();
  document.body.dataset.ready = "1";
  // Roads are scenery: drawn after the page is ready to use, never holding it back.
  loadRoads().catch((error) => { if (error.message !== "401") console.error(error); });
  refreshCoverage().catch((error) => { if (error.message !== "401") console.error(error); });
}

// --- keyboard -----------------------------------------------------------------------------

function onKey(event) {
  if (!get("session") || event.ctrlKey || event.metaKey || event.altKey) return;
  // Keys typed in an open dialog belong to it.
  if (document.querySelector("dialog[open]")) return;
  if (["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName)) return;
  const key = event.key;
  const selected = get("selected");
  if (key >= "1" && key <= "5") showTab(TABS[Number(key) - 1]);
  else if (key === "j" || key === "ArrowDown") moveSelection(1);
  else if (key === "k" || key === "ArrowUp") moveSelection(-1);
  else if (key === "Enter" && selected) openDetail("incident", selected);
  else if (key === "a" || key === "A") {
    const detail = get("detail");
    const id = detail?.kind === "incident" ? detail.id : selected;
    const top = get("recs").get(id)?.recommendations?.[0];
    if (top) assign(id, top.team_id);
  } else if (key === "l" || key === "L") toggleLanguage();
  else if (key === "n" || key === "N") toggleTheme();
  else if (key === "x" || key === "X") armThreat();
  else if ((key === "r" || key === "R") && focusRadio()) { /* the radio line has the keys now */ }
  else if (key === "Escape") { if (get("threatMode")) armThreat(); else closeDetail(); }
  else if (key === "?") $("#help").showModal();
  else return;
  event.preventDefault();
}

// --- start --------------------------------------------------------------------------------

// Asked as soon as the modules have run, not after the page's last deferred script: on a slow
// link the answer is then on its way while the map's library still arrives.
const firstSession = api("/api/v1/session", { login: true });

async function boot() {
  if (localStorage.getItem("hanano.theme") === "light") document.documentElement.classList.remove("dark");
  onUnauthorised(showLogin);
  onEnded(showLogin);
  wire();
  onOverlayAdd((added) => {
    if (added === layer("coverage")) { drawCoverage(); refreshCoverage().catch(() => {}); }
  });
  $("#lang").addEventListener("click", toggleLanguage);
  $("#digits").addEventListener("change", chooseDigits);
  $("#theme").addEventListener("click", toggleTheme);
  $("#logout").addEventListener("click", logout);
  $("#login-form").addEventListener("submit", login);
  $("#detail-close").addEventListener("click", closeDetail);
  $("#help-open").addEventListener("click", () => $("#help").showModal());
  $("#ask-cancel").addEventListener("click", () => $("#ask").close(""));
  for (const dialog of document.querySelectorAll("dialog")) dialog.addEventListener("keydown", trapFocus);
  $("#threat").addEventListener("click", armThreat);
  $("#sighting").addEventListener("submit", reportSighting);
  wireRadio();
  $("#issue-alert").addEventListener("submit", issueAlert);
  $("#alert-zones").addEventListener("change", updateReach);
  $("#pick-zone").addEventListener("click", armZonePick);
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  document.addEventListener("keydown", onKey);
  unlockSoundOnGesture();
  applyLanguage();
  // Times in state, watches' time left and alerts' ETAs move with the clock, between events too.
  setInterval(() => {
    if (!get("session")?.authenticated || !hasMap()) return;
    renderTeams(); renderSafety(); paintZones(); drawWatches(); renderClock(); tickQueue(); tickLeft();
    renderMirror();
  }, 5000);
  // A mirror says so before anyone signs in: its login is not the primary's.
  refreshMirror();
  const session = await firstSession;
  if (session.authenticated) await enter(session);
  else { prelogin = session.csrf; showLogin(); }
}

// The module runs as soon as it has arrived (async), before or after the page is parsed. The
// map's library is a deferred script: it has run before DOMContentLoaded, and once it has run
// the page is parsed.
if (window.L && document.readyState !== "loading") boot();
else window.addEventListener("DOMContentLoaded", boot);
