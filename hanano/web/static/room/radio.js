// The radio log: one line where a dispatcher types what is heard on the radio, as it is heard.
// The server reads it (POST /api/v1/radio/parse, which writes nothing) and the reading is shown
// under the line; Enter saves exactly what is shown, through the route the reading names, and
// Escape drops the line. A line is never saved before its reading has been on the screen.
import { get } from "./state.js";
import { t, tt, listSep } from "./i18n.js";
import { num, plural, teamLabel } from "./numbers.js";
import { api } from "./api.js";
import { $, h, toast } from "./util.js";

// Typing pauses this long before the line is read.
const READ_AFTER_MS = 250;
let reading = null; // { text, answer } for the line as last read
let pending = null;
let timer = null;

export function renderRadio() {
  const form = $("#radio");
  form.hidden = !get("may")?.radio_log;
  $("#radio-label").textContent = t("radio_label");
  $("#radio-text").placeholder = t("radio_placeholder");
  if (reading) show(reading.answer);
}

export function focusRadio() {
  if ($("#radio").hidden) return false;
  $("#radio-text").focus();
  return true;
}

export function wireRadio() {
  const input = $("#radio-text");
  input.addEventListener("input", () => {
    clearTimeout(timer);
    reading = null;
    timer = setTimeout(() => read(input.value), READ_AFTER_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); confirm(input.value); }
    else if (event.key === "Escape") { event.preventDefault(); drop(); input.blur(); }
  });
  $("#radio").addEventListener("submit", (event) => { event.preventDefault(); confirm(input.value); });
}

async function read(text) {
  if (!text.trim()) { drop(false); return null; }
  const asked = api("/api/v1/radio/parse", { method: "POST", body: { text } })
    .then((answer) => ({ ok: true, answer }))
    .catch((error) => ({ ok: false, answer: { status: error.status, errors: error.errors || [], detail: error.message } }));
  pending = asked;
  const { ok, answer } = await asked;
  if (pending !== asked || $("#radio-text").value !== text) return null; // typed on since
  reading = { text, ok, answer };
  show(answer, ok);
  return reading;
}

async function confirm(text) {
  clearTimeout(timer);
  // Enter on a line whose reading is not on the screen shows it; the next Enter saves it.
  if (!reading || reading.text !== text) { await read(text); return; }
  if (!reading.ok) return;
  const { request } = reading.answer;
  const saved = reading;
  try {
    await api(request.path, { method: request.method, body: request.body });
  } catch (error) {
    show({ errors: [], detail: error.message, status: error.status }, false, true);
    return;
  }
  if (reading !== saved) return;
  toast(`${t("radio_saved")}: ${summary(saved.answer).join(" · ")}`);
  $("#radio-text").value = "";
  drop(false);
}

function drop(clearText = true) {
  clearTimeout(timer);
  reading = null;
  pending = null;
  if (clearText) $("#radio-text").value = "";
  const out = $("#radio-preview");
  out.replaceChildren();
  out.className = "radio-preview";
}

// What was understood, in the page's language: the kind, then team, step, place and counts.
function summary(answer) {
  const u = answer.understood || {};
  const parts = [tt("radio_kind", answer.kind)];
  if (u.team) parts.push(teamLabel(u.team, u.team.id));
  if (u.state) parts.push(tt("state", u.state));
  if (u.report_kind) parts.push(tt("kind", u.report_kind));
  if (u.aircraft) parts.push(tt("aircraft_kind", u.aircraft));
  if (u.activity === "circling") parts.push(t("radio_circling"));
  if (u.heading_deg !== undefined && u.heading_deg !== null) parts.push(`${t("radio_heading")} ${compass(u.heading_deg)}`);
  if (u.place) parts.push(placeName(u.place));
  if (u.trapped !== null && u.trapped !== undefined) parts.push(plural("trapped", u.trapped));
  if (u.casualties !== null && u.casualties !== undefined) parts.push(plural("casualties", u.casualties));
  return parts;
}

const placeName = (place) => (get("lang") === "ar" ? place.name_ar || place.name : place.name);

const POINTS = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"];
function compass(degrees) {
  const point = POINTS[Math.round(degrees / 45) % 8];
  return `${tt("sector", point)} (${num(degrees)}°)`;
}

function show(answer, ok = reading?.ok, failedSave = false) {
  const out = $("#radio-preview");
  if (ok && !failedSave) {
    out.className = "radio-preview ok";
    // A number heard with a sign ("-5 trapped") is no count: said, so the missing count is seen.
    const uncounted = answer.understood?.not_counted?.length;
    out.replaceChildren(
      h("span", { class: "radio-parts" }, summary(answer).join(listSep())),
      ...(uncounted ? [h("span", { class: "radio-not-counted" }, t("radio_not_counted"))] : []),
      h("span", { class: "hint" }, t("radio_confirm")),
    );
    return;
  }
  out.className = "radio-preview bad";
  // A save the API refused (a step taken meanwhile by another dispatcher): its own words.
  if (failedSave) {
    out.replaceChildren(h("span", { dir: "auto" }, `${t("failed")}: ${answer.detail}`));
    return;
  }
  const fields = (answer.errors || []).map((e) => e.field);
  const words = fields.length ? fields.map((f) => tt("radio_missing", f)) : [answer.detail];
  out.replaceChildren(h("span", {}, `${t("radio_not_understood")}: ${words.join(listSep())}`));
}
