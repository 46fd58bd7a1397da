// Questions in the page, in the page's language: a labelled field, or several, in a modal
// dialog. Enter answers, Esc or Cancel gives null; Tab stays inside. Never window.prompt, which
// stops the page (and the live stream's drawing) and speaks the browser's language.
import { t } from "./i18n.js";
import { $, h } from "./util.js";

// A warning in the dialog itself: a team in danger, a second send, which alert is ended.
function showDanger(text) {
  $("#ask-danger").textContent = text || "";
  $("#ask-danger").hidden = !text;
}

export function ask({ title, label, value = "", ok = t("ok"), detail = "", warn = false, danger = "" }) {
  const dialog = $("#ask");
  if (dialog.open) return Promise.resolve(null);
  const input = $("#ask-input");
  $("#ask-title").textContent = title;
  $("#ask-detail").textContent = detail;
  $("#ask-detail").hidden = !detail;
  $("#ask-detail").classList.toggle("warn-box", warn);
  showDanger(danger);
  $("#ask-label").textContent = label;
  $("#ask-ok").textContent = ok;
  $("#ask-cancel").textContent = t("cancel");
  input.value = value;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const answer = input.value.trim();
      resolve(dialog.returnValue === "ok" && answer ? answer : null);
    }, { once: true });
    dialog.showModal();
    input.focus();
    input.select();
  });
}

// The same dialog with several fields: a line of text, a list, one of several large choices, or
// boxes to tick (with a line for others). Resolves to the values by field name, or null.
// A field with `when` shows only while `when(values)` holds; hidden, it is disabled, so it
// neither blocks the form nor is sent.
// With no fields it is a confirmation; `focusCancel` makes Cancel the answer Enter gives.
export function askForm({ title, detail = "", fields, ok = t("ok"), danger = "", focusCancel = false }) {
  const dialog = $("#ask");
  if (dialog.open) return Promise.resolve(null);
  const input = $("#ask-input");
  const box = $("#ask-fields");
  const form = $("#ask-form");
  $("#ask-title").textContent = title;
  $("#ask-detail").textContent = detail;
  $("#ask-detail").hidden = !detail;
  $("#ask-detail").classList.remove("warn-box");
  showDanger(danger);
  $("#ask-ok").textContent = ok;
  $("#ask-cancel").textContent = t("cancel");
  $("#ask-label").hidden = true;
  input.hidden = true;
  input.required = false;
  const rows = fields.map(formField);
  box.replaceChildren(...rows);
  box.hidden = false;
  dialog.classList.add("form");
  const update = () => {
    const values = readForm(fields);
    rows.forEach((row, n) => {
      if (!fields[n].when) return;
      row.hidden = !fields[n].when(values);
      for (const el of row.querySelectorAll("input, select")) el.disabled = row.hidden;
    });
  };
  form.addEventListener("change", update);
  update();
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const values = dialog.returnValue === "ok" ? readForm(fields) : null;
      form.removeEventListener("change", update);
      box.replaceChildren();
      box.hidden = true;
      dialog.classList.remove("form");
      $("#ask-label").hidden = false;
      input.hidden = false;
      input.required = true;
      resolve(values);
    }, { once: true });
    dialog.showModal();
    if (focusCancel) $("#ask-cancel").focus();
    else (box.querySelector("input[type=radio]:checked") || box.querySelector("input, select") || $("#ask-ok")).focus();
  });
}

function formField(f) {
  const id = `ask-f-${f.name}`;
  let row;
  if (f.type === "select") {
    row = h("div", { class: "ask-field" }, h("label", { for: id }, f.label),
      h("select", { id, name: f.name }, ...f.options.map(([v, text]) =>
        h("option", { value: v, selected: v === (f.value ?? "") }, text))));
  } else if (f.type === "choice") {
    row = h("fieldset", { class: "ask-field choices" }, h("legend", {}, f.label),
      ...f.options.map(([v, text, more], n) => h("label", { class: "choice" },
        h("input", { type: "radio", name: f.name, value: v, checked: v === f.value,
          required: f.required && n === 0 }),
        h("span", {}, h("b", {}, text), more ? h("small", {}, more) : null))));
  } else if (f.type === "checks") {
    const chosen = new Set(f.value || []);
    row = h("fieldset", { class: "ask-field checks" }, h("legend", {}, f.label),
      ...f.options.map(([v, text]) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: f.name, value: v, checked: chosen.has(v) }), text)),
      h("input", { name: `${f.name}-other`, class: "other", maxlength: "300", dir: "auto",
        value: [...chosen].filter((v) => !f.options.some(([o]) => o === v)).join(", "),
        placeholder: t("other_items"), "aria-label": `${f.label}: ${t("other_items")}` }));
  } else {
    row = h("div", { class: "ask-field" }, h("label", { for: id }, f.label),
      h("input", { id, name: f.name, value: f.value || "", required: f.required, pattern: f.pattern,
        placeholder: f.placeholder, title: f.title, maxlength: String(f.maxlength || 200),
        autocomplete: "off", dir: f.dir || "auto" }));
  }
  row.dataset.field = f.name;
  return row;
}

function readForm(fields) {
  const form = $("#ask-form");
  const values = {};
  for (const f of fields) {
    const els = [...form.querySelectorAll(`[name="${f.name}"]`)].filter((el) => !el.disabled);
    if (!els.length) { values[f.name] = null; continue; }
    if (f.type === "choice") values[f.name] = els.find((el) => el.checked)?.value ?? null;
    else if (f.type === "checks") {
      const other = form.querySelector(`[name="${f.name}-other"]`)?.value || "";
      values[f.name] = [...els.filter((el) => el.checked).map((el) => el.value),
        ...other.split(/[,،]/).map((x) => x.trim().slice(0, 100)).filter(Boolean)];
    } else values[f.name] = els[0].value.trim();
  }
  return values;
}

export function trapFocus(event) {
  if (event.key !== "Tab") return;
  const items = [...event.currentTarget.querySelectorAll("input, select, textarea, button")]
    .filter((el) => !el.disabled && el.offsetParent !== null);
  if (!items.length) return;
  const first = items[0], last = items[items.length - 1];
  if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
  else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
}

