// A citizen's strike report: what happened, where (GPS or a chosen neighbourhood), how many are
// trapped or hurt, a few words and a photo. It goes to the outbox first, so nothing waits on
// the network.
import { h, uuid4 } from "../room/util.js";
import { TEXT } from "../room/i18n.js";
import { fill, t, tt } from "./i18n.js";
import { item, save } from "./store.js";
import { loadZones, position, standIn, zoneAt, zoneLabel, zones } from "./place.js";

const KINDS = Object.keys(TEXT.en.kind);

function stepper(name, label) {
  const input = h("input", { id: `f-${name}`, name, type: "number", min: "0", max: "100000",
    inputmode: "numeric", value: "0" });
  const by = (d) => () => { input.value = String(Math.max(0, (Number(input.value) || 0) + d)); };
  return h("div", { class: "stepper" }, h("label", { for: `f-${name}` }, label),
    h("button", { type: "button", class: "big", "aria-label": `${label}: ${t("less")}`, onclick: by(-1) }, "−"),
    input,
    h("button", { type: "button", class: "big", "aria-label": `${label}: ${t("more")}`, onclick: by(1) }, "+"));
}

function zoneOptions(select) {
  const chosen = select.value;
  select.replaceChildren(h("option", { value: "" }, t("choose")),
    ...zones().map((z) => h("option", { value: z.pcode }, zoneLabel(z))));
  select.value = chosen;
}

function body(form, fix) {
  const zone = zones().find((z) => z.pcode === form.zone.value);
  const words = form.text.value.trim();
  // A chosen neighbourhood is said in words, as a caller would: the server's gazetteer places
  // it, with a neighbourhood's precision and not a made-up point.
  const text = [zone && !fix ? `حي ${zone.name_ar} (${zone.name_en})` : "", words].filter(Boolean).join(" — ");
  const report = { id: uuid4(), kind: form.kind.value, observed_at: new Date().toISOString(), source: "citizen" };
  if (fix) Object.assign(report, fix);
  if (text) report.text = text;
  for (const name of ["trapped", "casualties"]) {
    const n = Number(form[name].value);
    if (n > 0) report[name] = Math.round(n);
  }
  return report;
}

// The browser's own file button speaks the browser's language; this one speaks the app's.
function photoPicker() {
  const chosen = h("span", { class: "hint" }, t("photo_none"));
  const input = h("input", { type: "file", name: "photo", accept: "image/*", capture: "environment",
    class: "hidden-input", onchange: () => { chosen.textContent = input.files[0]?.name || t("photo_none"); } });
  return h("div", { class: "photo" }, h("span", { class: "photo-label" }, t("photo")),
    h("label", { class: "button big" }, t("photo_pick"), input), chosen);
}

export function reporterView({ queued }) {
  let fix = null;
  const status = h("p", { id: "f-gps", class: "hint", role: "status" });
  const zone = h("select", { id: "f-zone", name: "zone" });
  zoneOptions(zone);
  loadZones().then(() => zoneOptions(zone)).catch(() => {});
  const gps = h("button", { type: "button", id: "f-use-gps", class: "big", onclick: async () => {
    status.textContent = t("gps_wait");
    fix = await position();
    status.textContent = fix ? fill(t("gps_got"), { m: Math.round(fix.accuracy_m) }) : t("gps_failed");
    if (fix) standIn(zoneAt(fix.lat, fix.lon)?.pcode);
  } }, t("use_gps"));
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { id: "f-report", class: "card" },
    h("h1", {}, t("report_title")),
    h("label", {}, h("span", {}, t("kind")),
      h("select", { name: "kind", id: "f-kind" }, ...KINDS.map((k) => h("option", { value: k }, tt("kind", k))))),
    h("fieldset", {}, h("legend", {}, t("where")), gps, status,
      h("label", {}, h("span", {}, t("neighbourhood")), zone)),
    stepper("trapped", t("trapped_n")), stepper("casualties", t("casualties_n")),
    h("label", {}, h("span", {}, t("details")), h("textarea", { name: "text", rows: "2", maxlength: "4000" })),
    photoPicker(),
    error,
    h("button", { type: "submit", class: "primary big send", id: "f-send" }, t("send_report")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!fix && !zone.value) { error.textContent = t("need_place"); return; }
    error.textContent = "";
    standIn(zone.value);
    const report = body(form, fix);
    await save(item("report", "/api/v1/reports", report, { kind: report.kind }));
    const photo = form.photo.files[0];
    if (photo) {
      const meta = { id: uuid4(), report_id: report.id, captured_at: report.observed_at };
      await save(item("photo", "/api/v1/media", meta, {}, { file: photo, after: report.id }));
    }
    form.reset();
    form.querySelector(".photo .hint").textContent = t("photo_none");
    fix = null;
    status.textContent = "";
    queued();
  });
  return [form];
}
