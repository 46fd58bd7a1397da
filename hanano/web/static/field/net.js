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
  const headers = { Accept: "application/json", Authorization: `Bearer ${token()}` };
  let body = options.body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const response = await fetch(path, { method: options.method || "GET", headers, body, cache: "no-store" });
  if (response.status === 401) throw new Revoked();
  const data = (response.headers.get("content-type") || "").includes("json") ? await response.json() : null;
  if (!response.ok) {
    const error = new Error(data?.detail || response.statusText);
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

function request(item) {
  if (item.kind !== "photo") return { method: "POST", body: item.body };
  const form = new FormData();
  form.append("report_id", item.body.report_id);
  form.append("captured_at", item.body.captured_at);
  form.append("file", item.file, "photo");
  return { method: "POST", body: form };
}

// Server refusals that a resend would meet again (bad input, a conflict): kept, shown, not sent.
const FINAL = new Set([400, 403, 404, 409, 413, 415, 422]);

async function sendOne(item, changed) {
  if (item.after) {
    const first = await load(item.after);
    if (first?.state !== "acknowledged") return true;
  }
  item.state = "sent";
  await save(item);
  changed();
  try {
    const answer = await call(item.path, request(item));
    Object.assign(item, { state: "acknowledged", log_index: answer?.log_index ?? null, error: null });
  } catch (error) {
    if (FINAL.has(error.status)) Object.assign(item, { state: "refused", error: error.message });
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
