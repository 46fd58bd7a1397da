// The field app: sign in with a token, then the screen of the token's role; what is entered
// waits in the outbox (IndexedDB) and is sent whenever the network is there.
import { $, h } from "../room/util.js";
import { get, subscribe } from "../room/state.js";
import { fill, group, lang, setLang, t, tt } from "./i18n.js";
import * as net from "./net.js";
import { drawOutbox } from "./outbox.js";
import { reporterView } from "./report.js";
import { spotterView } from "./sighting.js";
import { leaderView } from "./leader.js";
import { watchAlerts } from "./alerts.js";

const FIELD_ROLES = ["reporter", "spotter", "team_leader"];
const REVOKED = "hanano.field.revoked";
const VIEWS = { reporter: reporterView, spotter: spotterView, team_leader: leaderView };

function loginView(message = "") {
  const input = h("input", { id: "f-token", name: "token", autocomplete: "off", required: true,
    spellcheck: "false", autocapitalize: "off", "aria-describedby": "f-token-hint" });
  const error = h("p", { id: "f-login-error", class: "error", role: "alert" }, message);
  const form = h("form", { id: "f-login", class: "card" },
    h("h1", {}, t("sign_in")),
    h("label", {}, h("span", {}, t("token_label")), input),
    h("p", { id: "f-token-hint", class: "hint" }, t("token_hint")),
    h("button", { type: "submit", class: "primary big" }, t("sign_in")), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const who = await net.signIn(input.value);
      if (!FIELD_ROLES.includes(who.role)) {
        net.signOut();
        error.textContent = fill(t("wrong_role"), { role: tt("role", who.role) });
        return;
      }
      localStorage.removeItem(REVOKED);
      draw();
      sync();
    } catch (failure) {
      error.textContent = failure instanceof net.Revoked ? t("sign_in_failed") : t("need_network");
    }
  });
  return [form];
}

function revokedView() {
  return [h("div", { id: "f-revoked", class: "card bad", role: "alert" },
    h("h1", {}, t("revoked_title")), h("p", {}, t("revoked_text")),
    h("button", { type: "button", class: "primary big", onclick: () => {
      localStorage.removeItem(REVOKED);
      draw();
    } }, t("sign_in")))];
}

function whoLine(who) {
  const parts = [fill(t("signed_in_as"), { role: group("role", who.role) })];
  if (who.team) parts.push(fill(t("team_of"), { team: who.team }));
  if (who.post) parts.push(fill(t("post_of"), { post: who.post }));
  return h("p", { id: "f-who", class: "who" }, parts.join(" · "), " ",
    h("button", { type: "button", class: "link", onclick: () => { net.signOut(); draw(); } }, t("sign_out")));
}

function draw() {
  $("#f-lang").textContent = lang() === "ar" ? "English" : "العربية";
  $("#f-lang").lang = lang() === "ar" ? "en" : "ar";
  const who = net.me();
  let content;
  if (localStorage.getItem(REVOKED)) content = revokedView();
  else if (!net.token() || !who) content = loginView();
  else content = [whoLine(who), ...VIEWS[who.role]({ who, queued: () => sync() })];
  $("#f-main").replaceChildren(...content);
  document.body.dataset.role = who && net.token() ? who.role : "";
  drawNet();
  drawOutbox();
}

function drawNet() {
  const on = navigator.onLine;
  $("#f-net").textContent = on ? t("online") : t("offline");
  $("#f-net").className = on ? "net on" : "net off";
}

function revoked() {
  localStorage.setItem(REVOKED, "1");
  net.signOut();
  draw();
}

async function sync() {
  drawOutbox();
  if (!net.token() || !navigator.onLine) return;
  try {
    await net.flush(drawOutbox);
  } catch (error) {
    if (error instanceof net.Revoked) revoked();
  }
}

async function checkToken() {
  if (!net.token() || !navigator.onLine) return;
  try {
    await net.refreshMe();
  } catch (error) {
    if (error instanceof net.Revoked) revoked();
  }
}

function start() {
  setLang(get("lang"));
  $("#f-lang").addEventListener("click", () => setLang(lang() === "ar" ? "en" : "ar"));
  subscribe(["lang"], draw);
  window.addEventListener("online", () => { drawNet(); checkToken(); sync(); });
  window.addEventListener("offline", drawNet);
  // A link that says it is up may still carry nothing; what waits is tried again now and then.
  setInterval(sync, 15000);
  draw();
  document.body.dataset.ready = "1";
  checkToken().then(sync);
  watchAlerts();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" });
}

start();
