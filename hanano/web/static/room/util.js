// Small helpers for drawing: elements, times, colours, the toast. Text from the field is only
// ever set as text, never as markup.
import { serverNow } from "./state.js";
import { t } from "./i18n.js";
import { namePlaces } from "./zones.js";
import { locale, unit } from "./numbers.js";

export const COVERAGE_COLOUR = "#a855f7";
export const LEVEL_COLOUR = { imminent: "#e0202a", warning: "#f08a24", watch: "#e8c62a" };
export const SEV_COLOUR = ["#9aa3ad", "#f2d14b", "#f5a623", "#f06a2b", "#d8282f", "#8e0d3c"];
export const STATE_COLOUR = {
  free: "#2fa84f", assigned: "#e0a800", en_route: "#e0a800", on_scene: "#d8282f",
  transporting: "#8e44ad", at_hospital: "#8e44ad", returning: "#1b9aaa", off_duty: "#6c757d",
  unavailable: "#6c757d",
};

export const $ = (sel) => document.querySelector(sel);

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// toLocaleTimeString builds a formatter on every call; a thousand rows at load made it the
// page's costliest function, so one formatter is kept per locale.
const clockFormats = new Map();
function clockFormat(where) {
  if (!clockFormats.has(where)) {
    clockFormats.set(where, new Intl.DateTimeFormat(where, { hour: "2-digit", minute: "2-digit" }));
  }
  return clockFormats.get(where);
}

export function time(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const local = clockFormat(locale()).format(d);
  return h("time", { datetime: iso, title: d.toISOString().replace(".000", "") + " UTC" }, local);
}

export function ago(iso) {
  if (!iso) return "";
  const s = Math.max(0, (serverNow() - Date.parse(iso)) / 1000);
  if (s < 90) return unit(Math.round(s), "second");
  if (s < 5400) return unit(Math.round(s / 60), "minute");
  return unit(Math.round(s / 360) / 10, "hour", 1);
}

// Whole minutes from the server's now until `iso`, none once it has passed.
export const minutesLeft = (iso) => Math.ceil(Math.max(0, (Date.parse(iso) - serverNow()) / 60000));

export function distanceKm(a, b) {
  const rad = Math.PI / 180;
  const dlat = (b.lat - a.lat) * rad, dlon = (b.lon - a.lon) * rad;
  const x = Math.sin(dlat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dlon / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(x));
}

// Server-worded text may carry an ISO timestamp (a watch's end in a pull-back's reason): shown
// in local time with UTC on hover, like every other time on the page.
const ISO_IN_TEXT = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))/;
export function withTimes(text) {
  return String(text || "").split(ISO_IN_TEXT).map((part, n) => (n % 2 ? time(part) : part));
}

let toastTimer = null;
export function toast(message, bad = false) {
  const el = $("#toast");
  el.textContent = namePlaces(message);
  el.className = bad ? "show bad" : "show";
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ""; }, 4000);
}

// crypto.randomUUID exists only in secure contexts; a laptop served over the LAN by plain http
// is not one, while getRandomValues works everywhere.
export function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// One labelled value in a detail's fields.
export function field(label, ...value) {
  return h("div", { class: "field" }, h("span", {}, label), h("b", {}, ...value));
}

export const empty = () => [h("li", { class: "empty" }, t("none"))];
