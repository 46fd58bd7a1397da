// An incident's worksites (INSARAG ID and triage category) and victims (marks, status, triage,
// hospital; names only when a dispatcher asks), with the forms that record them.
import { get, may, put, setCan } from "./state.js";
import { fill, listSep, t, tt } from "./i18n.js";
import { act, api } from "./api.js";
import { askForm } from "./dialogs.js";
import { h, toast } from "./util.js";
import { hospitalChoices, incidentPlace } from "./boards/teams.js";

// Worksites and victims of one incident; roles that may not read them see neither section.
export async function loadSites(id) {
  if (get("can").sites === false) return;
  const base = `/api/v1/incidents/${encodeURIComponent(id)}`;
  try {
    const [w, v] = await Promise.all([api(`${base}/worksites`), api(`${base}/victims`)]);
    setCan("sites", true);
    put("sites", id, { worksites: w.worksites, victims: v.victims });
  } catch (error) {
    if (error.status === 403) { setCan("sites", false); return; }
    if (error.status !== 404) throw error;
  }
}

export async function refreshSites(id) {
  await loadSites(id).catch(() => {});
}

const CATEGORIES = ["A", "B", "C", "D", "E", "F"];
const CATEGORY_COLOUR = { A: "#d8282f", B: "#d8282f", C: "#f5a623", D: "#f5a623", E: "#6c757d", F: "#2fa84f" };
const HAZARDS = ["unstable_structure", "gas_leak", "fire", "unexploded_ordnance", "electricity", "dust", "flooding"];
const OPERATIONS = ["search", "shoring", "breaching", "lifting", "cutting", "medical", "firefighting", "rubble_removal"];
const TRIAGE = ["red", "yellow", "green", "black"];
const TRIAGE_COLOUR = { red: "#d8282f", yellow: "#f2d14b", green: "#2fa84f", black: "#1f2328" };
const VICTIM_STATUSES = ["trapped", "extracted_alive", "dead"];
const VICTIM_NEXT = { trapped: ["extracted_alive", "dead"], extracted_alive: ["dead"], dead: [] };

export function worksitesSection(i, sites) {
  const rows = sites.worksites.map((w) => h("li", { class: "site", "data-worksite": w.id },
    h("span", { class: "cat", style: `--c:${CATEGORY_COLOUR[w.category]}`, title: tt("category_meaning", w.category) }, w.category),
    h("span", { class: "main" }, h("b", {}, w.id), " · ", tt("category_meaning", w.category),
      w.hazards.length ? h("small", { class: "line" }, `${t("hazards")}: ${w.hazards.map((x) => tt("hazard", x)).join(listSep())}`) : null,
      w.operations.length ? h("small", { class: "line" }, `${t("operations")}: ${w.operations.map((x) => tt("operation", x)).join(listSep())}`) : null),
    may("update_worksite", i.id) ? h("button", { class: "change-category", onclick: () => changeCategory(i, w) }, t("change_category")) : null));
  return [
    h("div", { class: "section-head" }, h("h3", {}, `${t("worksites")} (${rows.length})`),
      may("open_worksite", i.id) ? h("button", { class: "add-worksite", onclick: () => addWorksite(i) }, `+ ${t("add_worksite")}`) : null),
    rows.length ? h("ul", { class: "sites" }, ...rows) : h("p", { class: "hint" }, t("none")),
  ];
}

export function victimsSection(i, sites) {
  const counts = VICTIM_STATUSES.map((st) => [st, sites.victims.filter((v) => v.status === st).length])
    .filter(([, n]) => n).map(([st, n]) => `${n} ${tt("victim_status", st)}`).join(" · ");
  const rows = sites.victims.map((v) => {
    const who = get("identities").get(v.id);
    const hospital = v.hospital_id && (get("hospitals").find((x) => x.id === v.hospital_id)?.name || v.hospital_id);
    return h("li", { class: `victim status-${v.status}`, "data-victim": v.id },
      h("span", { class: "mark", style: `--c:${v.triage ? TRIAGE_COLOUR[v.triage] : "#9aa3ad"}`,
        title: v.triage ? tt("triage_colour", v.triage) : t("no_triage") }, v.id),
      h("span", { class: "main" },
        h("span", { class: `pill victim-${v.status}` }, tt("victim_status", v.status)), " ",
        v.triage ? tt("triage_colour", v.triage) : h("small", {}, t("no_triage")),
        v.worksite_id ? ` · ${v.worksite_id}` : "",
        v.mark ? h("small", { class: "line insarag" }, fill(t("victim_mark"), { mark: v.mark })) : null,
        hospital ? h("small", { class: "line" }, `✚ ${hospital}`) : null,
        who ? h("small", { class: "line identity" }, who.name || who.identity
          ? [who.name, who.identity].filter(Boolean).join(" · ") : t("no_name")) : null),
      may("read_victim_identity") && !who ? h("button", { class: "small show-name", onclick: () => showName(v.id) }, t("show_name")) : null,
      may("update_victim", i.id) ? h("button", { class: "update-victim", onclick: () => updateVictim(i, v) }, t("update")) : null);
  });
  return [
    h("div", { class: "section-head" }, h("h3", {}, `${t("victims")} (${rows.length})`),
      may("record_victim", i.id) ? h("button", { class: "record-victim", onclick: () => recordVictim(i) }, `+ ${t("record_victim")}`) : null),
    counts ? h("p", { class: "counts" }, counts) : null,
    rows.length ? h("ul", { class: "victims" }, ...rows) : h("p", { class: "hint" }, t("none")),
  ];
}

function hazardFields(w = null) {
  return [
    { name: "hazards", label: t("hazards"), type: "checks", value: w?.hazards,
      options: HAZARDS.map((x) => [x, tt("hazard", x)]) },
    { name: "operations", label: t("operations"), type: "checks", value: w?.operations,
      options: OPERATIONS.map((x) => [x, tt("operation", x)]) },
  ];
}

const categoryOptions = () => CATEGORIES.map((c) => [c, c, tt("category_meaning", c)]);

async function addWorksite(i) {
  const values = await askForm({
    title: fill(t("ws_title"), { incident: i.id }), ok: t("add_worksite"),
    fields: [
      { name: "worksite_id", label: t("worksite_id"), required: true, placeholder: "C-6",
        pattern: "[A-Za-z]-[1-9][0-9]{0,2}", title: t("ws_id_hint"), maxlength: 5, dir: "ltr" },
      { name: "category", label: t("category"), type: "choice", required: true, options: categoryOptions() },
      ...hazardFields(),
    ],
  });
  if (!values) return;
  const body = { worksite_id: values.worksite_id.toUpperCase(), category: values.category,
    hazards: values.hazards, operations: values.operations };
  if (await act(api(`/api/v1/incidents/${encodeURIComponent(i.id)}/worksites`, { method: "POST", body }))) refreshSites(i.id);
}

async function changeCategory(i, w) {
  const values = await askForm({
    title: fill(t("ws_cat_title"), { worksite: `${w.id} · ${i.id}` }), ok: t("change_category"),
    fields: [
      { name: "category", label: t("category"), type: "choice", required: true, value: w.category, options: categoryOptions() },
      ...hazardFields(w),
      { name: "reason", label: t("reason") },
    ],
  });
  if (!values) return;
  const body = { category: values.category, hazards: values.hazards, operations: values.operations,
    reason: values.reason || "" };
  const path = `/api/v1/incidents/${encodeURIComponent(i.id)}/worksites/${encodeURIComponent(w.id)}`;
  if (await act(api(path, { method: "POST", body }))) refreshSites(i.id);
}

function victimFields(i, v = null) {
  const sites = get("sites").get(i.id)?.worksites || [];
  const statuses = v ? [v.status, ...VICTIM_NEXT[v.status]] : VICTIM_STATUSES;
  const { options } = hospitalChoices(incidentPlace(i.id));
  const fields = [
    { name: "status", label: t("victim_status_label"), type: "choice", required: true,
      value: v?.status || "trapped", options: statuses.map((st) => [st, tt("victim_status", st)]) },
    { name: "triage", label: t("triage"), type: "select", value: v?.triage || "",
      options: [["", t("no_triage")], ...TRIAGE.map((c) => [c, tt("triage_colour", c)])] },
  ];
  if (!v) {
    fields.push({ name: "worksite_id", label: t("worksite"), type: "select",
      value: sites.length === 1 ? sites[0].id : "",
      options: [["", t("no_worksite")], ...sites.map((w) => [w.id, `${w.id} · ${w.category}`])] });
  }
  // Only a victim extracted alive goes to a hospital, and only to an open one.
  fields.push({ name: "hospital_id", label: t("destination"), type: "choice",
    value: v?.hospital_id || "", when: (x) => x.status === "extracted_alive",
    options: [["", t("no_destination")], ...options] });
  fields.push({ name: "name", label: t("name"), maxlength: 200 },
    { name: "identity", label: t("identity"), maxlength: 200 });
  return fields;
}

function victimBody(values) {
  const body = {};
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== "") body[k] = v;
  return body;
}

async function recordVictim(i) {
  const values = await askForm({ title: fill(t("victim_title"), { incident: i.id }),
    detail: t("names_note"), ok: t("record_victim"), fields: victimFields(i) });
  if (!values) return;
  const path = `/api/v1/incidents/${encodeURIComponent(i.id)}/victims`;
  if (await act(api(path, { method: "POST", body: victimBody(values) }))) refreshSites(i.id);
}

async function updateVictim(i, v) {
  const values = await askForm({ title: fill(t("victim_update_title"), { mark: v.id, incident: i.id }),
    detail: t("names_note"), ok: t("update"), fields: victimFields(i, v) });
  if (!values) return;
  const path = `/api/v1/victims/${encodeURIComponent(v.id)}`;
  if (await act(api(path, { method: "POST", body: victimBody(values) }))) {
    put("identities", v.id, undefined);
    refreshSites(i.id);
  }
}

// A name is read only when a dispatcher asks for it, and kept only in this page's memory.
async function showName(victimId) {
  try {
    put("identities", victimId, await api(`/api/v1/victims/${encodeURIComponent(victimId)}/identity`));
  } catch (error) {
    toast(error.status === 403 ? t("not_allowed") : `${t("failed")}: ${error.message}`, true);
    return;
  }
}

