// A team leader's worksites and victims at their task's incident: entered on the phone, queued
// in the outbox with their client UUID (a resend is answered as the first sending, never
// doubled), sent whenever the network is there. A victim at a worksite still waiting in the
// outbox is sent only once that worksite is acknowledged.
import { h, uuid4 } from "../room/util.js";
import { fill, t, tt } from "./i18n.js";
import { call } from "./net.js";
import { all, item, save } from "./store.js";

const CATEGORIES = ["A", "B", "C", "D", "E", "F"];
const STATUSES = ["trapped", "extracted_alive", "dead"];
// As the server checks it (hanano/dispatch/worksites.py): refused here, not after a day queued.
// The app says what is missing in its own words, not the browser's: no `required` on the fields.
const WORKSITE_ID = /^[A-Z]-[1-9][0-9]{0,2}$/;
const KNOWN = "hanano.field.worksites";
// A worksite's ID is Latin in an Arabic line: isolated, so "C-6" is not read as "6-C".
const ltr = (text) => `\u2066${text}\u2069`;
const EXAMPLE = ltr("C-6");

const base = (incident) => `/api/v1/incidents/${encodeURIComponent(incident)}`;

function known(incident) {
  const kept = JSON.parse(localStorage.getItem(KNOWN) || "{}");
  return kept.incident === incident ? kept.ids : [];
}

// The incident's worksites: those the server has (kept for offline use) and those queued here.
async function worksitesOf(incident) {
  if (navigator.onLine) {
    try {
      const { worksites } = await call(`${base(incident)}/worksites`);
      localStorage.setItem(KNOWN, JSON.stringify({ incident, ids: worksites.map((w) => w.id) }));
    } catch {
      // Offline after all: what was kept stands.
    }
  }
  const queued = (await all()).filter((i) => i.kind === "worksite" && i.label.incident === incident
    && i.state !== "refused");
  const ids = new Map(known(incident).map((id) => [id, null]));
  for (const q of queued) if (!ids.get(q.send.worksite_id)) ids.set(q.send.worksite_id, q);
  return ids;
}

function options(select, values, words, blank) {
  select.replaceChildren(...(blank ? [h("option", { value: "" }, blank)] : []),
    ...values.map((v) => h("option", { value: v }, words(v))));
}

function worksiteForm(incident, queued, changed) {
  const error = h("p", { class: "error", role: "alert" });
  const category = h("select", { id: "f-ws-category", name: "category" });
  options(category, CATEGORIES, (c) => `${c} — ${tt("category_meaning", c)}`, t("choose"));
  const form = h("form", { id: "f-worksite", class: "card" },
    h("h1", {}, t("worksite_title")),
    h("label", {}, h("span", {}, t("worksite_label"), " ",
      h("bdi", { dir: "ltr", class: "nowrap" }, "C-6")),
      h("input", { id: "f-ws-id", name: "worksite_id", autocapitalize: "characters",
        autocomplete: "off", spellcheck: "false", dir: "ltr", maxlength: "5", placeholder: "C-6" })),
    h("label", {}, h("span", {}, t("category")), category),
    h("label", {}, h("span", {}, t("note_optional")),
      h("textarea", { id: "f-ws-note", name: "note", rows: "2", maxlength: "1000" })),
    h("button", { type: "submit", class: "primary big" }, t("record_worksite")), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const label = form.worksite_id.value.trim().toUpperCase();
    if (!WORKSITE_ID.test(label)) { error.textContent = fill(t("worksite_id_bad"), { example: EXAMPLE }); return; }
    if (!form.category.value) { error.textContent = t("category_needed"); return; }
    error.textContent = "";
    const id = uuid4();
    const send = { id, worksite_id: label, category: form.category.value, note: form.note.value.trim() };
    await save(item("worksite", `${base(incident)}/worksites`, { id, observed_at: new Date().toISOString() },
      { incident, worksite: label }, { send }));
    form.reset();
    changed();
    queued();
  });
  return form;
}

function victimForm(incident, queued) {
  const error = h("p", { class: "error", role: "alert" });
  const site = h("select", { id: "f-v-worksite", name: "worksite" });
  let sites = new Map();
  const refresh = async () => {
    sites = await worksitesOf(incident);
    const chosen = site.value;
    options(site, [...sites.keys()], (id) => id, t("no_worksite"));
    site.value = sites.has(chosen) ? chosen : "";
  };
  const status = h("fieldset", { id: "f-v-status" }, h("legend", {}, t("victim_status_label")),
    ...STATUSES.map((s) => h("label", { class: "toggle" },
      h("input", { type: "radio", name: "status", value: s }), tt("victim_status", s))));
  const form = h("form", { id: "f-victim", class: "card" },
    h("h1", {}, t("victim_title")), status,
    h("label", {}, h("span", {}, t("worksite")), site),
    h("label", {}, h("span", {}, t("note_optional")),
      h("textarea", { id: "f-v-note", name: "note", rows: "2", maxlength: "1000",
        "aria-describedby": "f-v-note-hint" })),
    h("p", { id: "f-v-note-hint", class: "hint" }, t("victim_note_hint")),
    h("button", { type: "submit", class: "primary big" }, t("record_victim")), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=status]:checked")?.value;
    if (!chosen) { error.textContent = t("status_needed"); return; }
    error.textContent = "";
    const id = uuid4();
    const send = { id, status: chosen };
    if (site.value) send.worksite_id = site.value;
    if (form.note.value.trim()) send.note = form.note.value.trim();
    // A worksite still in the outbox must reach the server first: the victim names it.
    const waiting = sites.get(site.value);
    const after = waiting && waiting.state !== "acknowledged" ? { after: waiting.id } : {};
    await save(item("victim", `${base(incident)}/victims`, { id, observed_at: new Date().toISOString() },
      { incident, status: chosen, worksite: site.value || null }, { send, ...after }));
    form.reset();
    site.value = "";
    queued();
  });
  refresh();
  return [form, refresh];
}

// The two forms, for the incident the team is tasked at; nothing when it has no task.
export function sitesView(task, queued) {
  if (!task?.incident_id) return [];
  const [victim, refresh] = victimForm(task.incident_id, queued);
  return [worksiteForm(task.incident_id, queued, refresh), victim];
}

// An outbox line for a worksite or a victim.
export function siteLabel(item) {
  const words = item.label || {};
  if (item.kind === "worksite") return fill(t("worksite_item"), { worksite: ltr(words.worksite) });
  const status = tt("victim_status", words.status);
  return fill(t(words.worksite ? "victim_at_item" : "victim_item"),
    { status, worksite: words.worksite && ltr(words.worksite) });
}
