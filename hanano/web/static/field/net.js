// The phone's token and the API: every call carries the token; the outbox is sent, oldest
// first, whenever the network is there, through the API's idempotent routes (a resend of an
// item carries the same client UUID and body, so the server answers it as the first time).
import { all, load, save } from "./store.js";

const TOKEN = "hanano.field.token";
const ME = "hanano.field.me";

export const token = () => localStorage.getItem(TOKEN);
export const me = () => JSON.parse(localStorage.getItem(ME) || "null");

export function signOut() {
  localStorage.removeItem(TOKEN);
  localStorage.removeItem(ME);
}

export class Revoked extends Error {}

export async function call(path, options = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${token()}`, ...(options.headers || {}) };
  let body = options.body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const response = await fetch(path, { method: options.method || "GET", headers, body, cache: "no-store" });
  if (response.status === 401) throw new Revoked();
  const data = (response.headers.get("content-type") || "").includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new Error(data?.detail || xmlMessage(data) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

// Sign in: the token is checked once with the server and kept with who it says the phone is.
export async function signIn(secret) {
  localStorage.setItem(TOKEN, secret.trim());
  try {
    const who = await call("/api/v1/me");
    localStorage.setItem(ME, JSON.stringify(who));
    return who;
  } catch (error) {
    localStorage.removeItem(TOKEN);
    throw error;
  }
}

// Who the token is now; a revoked token throws Revoked, no network leaves things as they were.
export async function refreshMe() {
  const who = await call("/api/v1/me");
  localStorage.setItem(ME, JSON.stringify(who));
  return who;
}

// An OpenRosa answer's message (its refusals are worded there).
const xmlMessage = (text) => (typeof text === "string" ? /<message[^>]*>([^<]*)</.exec(text)?.[1] : null);

const escapeXml = (s) => String(s).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

// A team's position (and check-in note) as the OpenRosa form hanano_team_status is filled in.
function teamStatus(body) {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><data id="hanano_team_status">`
    + `<location>${body.lat} ${body.lon} 0 ${body.accuracy_m}</location>`
    + `<observed_at>${escapeXml(body.observed_at)}</observed_at><note>${escapeXml(body.note || "")}</note>`
    + `<meta><instanceID>uuid:${body.id}</instanceID></meta></data>`;
  const form = new FormData();
  form.append("xml_submission_file", new Blob([xml], { type: "text/xml" }), "submission.xml");
  return form;
}

function request(item) {
  if (item.kind === "status") {
    return { path: `/openrosa/key/${encodeURIComponent(token())}/submission`, method: "POST",
      body: teamStatus(item.body), headers: { "X-OpenRosa-Version": "1.0" } };
  }
  if (item.kind !== "photo") return { path: item.path, method: "POST", body: item.send || item.body };
  const form = new FormData();
  form.append("report_id", item.body.report_id);
  form.append("captured_at", item.body.captured_at);
  form.append("file", item.file, "photo");
  return { path: item.path, method: "POST", body: form };
}

// The log index in an answer: a JSON field, or an OpenRosa record's attribute.
function logIndex(answer) {
  if (answer && typeof answer === "object") return answer.log_index ?? null;
  const found = /log_index="(\d+)"/.exec(String(answer || ""));
  return found ? Number(found[1]) : null;
}

// A task step refused as illegal may have been taken already (its first sending was answered
// after the phone stopped listening): the task as the server has it now says.
async function alreadyTaken(item) {
  if (item.kind !== "step") return false;
  try {
    const task = await call(`/api/v1/tasks/${encodeURIComponent(item.body.task_id)}`);
    return Boolean(task.times?.[item.body.state]);
  } catch {
    return false;
  }
}

// Server refusals that a resend would meet again (bad input, a conflict): kept, shown, not sent.
const FINAL = new Set([400, 403, 404, 409, 413, 415, 422]);

async function sendOne(item, changed) {
  if (item.after) {
    const first = await load(item.after);
    if (first?.state === "refused") {
      Object.assign(item, { state: "refused", error: first.error });
      await save(item);
      changed();
      return true;
    }
    if (first?.state !== "acknowledged") return true;
  }
  item.state = "sent";
  await save(item);
  changed();
  try {
    const sending = request(item);
    const answer = await call(sending.path, sending);
    Object.assign(item, { state: "acknowledged", log_index: logIndex(answer), error: null });
  } catch (error) {
    if (error.status === 409 && await alreadyTaken(item)) Object.assign(item, { state: "acknowledged", error: null });
    else if (FINAL.has(error.status)) Object.assign(item, { state: "refused", error: error.message });
    else item.state = "queued";
    await save(item);
    changed();
    if (error instanceof Revoked) throw error;
    return FINAL.has(error.status);
  }
  await save(item);
  changed();
  return true;
}

async function pass(changed) {
  for (const item of await all()) {
    if (item.state !== "queued" && item.state !== "sent") continue;
    if (!(await sendOne(item, changed))) return;
  }
}

let running = null;
let again = false;
// Send what waits, in order; stop at the first that cannot go (no network, server busy). Asked
// again while sending, it goes round once more, so an item entered meanwhile is not left behind.
export function flush(changed) {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      do {
        again = false;
        await pass(changed);
      } while (again);
    } finally {
      running = null;
    }
  })();
  return running;
}
