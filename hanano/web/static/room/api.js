// The JSON API: one fetch with the session's CSRF token, lists a role may not read, and actions
// answered with a toast.
import { get, setCan } from "./state.js";
import { t } from "./i18n.js";
import { toast } from "./util.js";

let unauthorised = () => {};
// What to do when the session has ended (the login form).
export function onUnauthorised(fn) { unauthorised = fn; }

// Answers the server gave ahead of the asking (`/api/v1/opening`), each used once, as the
// request for it would have been answered.
const primed = new Map();
export async function prime(path) {
  const { reads } = await api(path);
  for (const [read, answer] of Object.entries(reads)) primed.set(read, answer);
}

function answered(path, options) {
  const { status, body } = primed.get(path);
  primed.delete(path);
  if (status === 401 && !options.login) { unauthorised(); throw new Error("401"); }
  if (status >= 400) {
    const error = new Error(body?.detail || String(status));
    error.status = status;
    throw error;
  }
  return body;
}

export async function api(path, options = {}) {
  if (!options.method && options.body === undefined && primed.has(path)) return answered(path, options);
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  const method = options.method || "GET";
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const csrf = get("session")?.csrf;
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (response.status === 401 && !options.login) { unauthorised(); throw new Error("401"); }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const error = new Error(data?.detail || response.statusText);
    error.status = response.status;
    error.errors = data?.errors || [];
    throw error;
  }
  return data;
}

export const id = (value) => encodeURIComponent(value);

// Lists a role may not read, or that a server without that domain does not offer, are empty.
export async function optional(path, key) {
  return (await optionalBody(path, key))?.[key] || [];
}

// The whole answer of such a list, or null where this role may not read it.
export async function optionalBody(path, key) {
  try {
    const data = await api(path);
    setCan(key, true);
    return data;
  } catch (error) {
    if (error.status === 403 || error.status === 404) { setCan(key, false); return null; }
    throw error;
  }
}

export async function act(promise, doneText = t("done")) {
  try {
    const result = await promise;
    toast(doneText);
    return result;
  } catch (error) {
    toast(error.status === 403 ? t("not_allowed") : `${t("failed")}: ${error.message}`, true);
    return null;
  }
}
