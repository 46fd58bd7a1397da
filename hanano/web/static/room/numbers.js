// Numbers, units and plurals in the page's language, by the browser's Intl, and names that the
// data holds in both languages.
import { get } from "./state.js";
import { TEXT, fill } from "./i18n.js";

const lang = () => get("lang");

// One digit system per language. English uses Western digits; Arabic uses Western digits by
// default, like the page's identifiers, zone codes and call signs, and Arabic-Indic digits when
// chosen in the help dialog (kept in this browser).
export const DIGIT_SYSTEMS = ["latn", "arab"];
export const digits = () => (lang() === "ar" ? localStorage.getItem("hanano.digits.ar") || "latn" : "latn");
export const locale = () => (lang() === "ar" ? `ar-SY-u-nu-${digits()}` : "en-GB");

const formats = new Map();
function format(options, where = locale()) {
  const key = `${where}|${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl.NumberFormat(where, options));
  return formats.get(key);
}

// A number in the page's digits.
export const num = (n, maxFraction = 0) => (n === null || n === undefined || n === ""
  ? "" : format({ maximumFractionDigits: maxFraction }).format(Number(n)));

// A quantity with its unit (second, minute, hour, kilometer, meter, kilometer-per-hour), short.
// English units as the rest of the page words them ("17 min", where en-GB says "17 mins").
export const unit = (n, name, maxFraction = 0, minFraction = 0) => format({ style: "unit", unit: name,
  unitDisplay: "short", maximumFractionDigits: maxFraction, minimumFractionDigits: minFraction },
  lang() === "ar" ? locale() : "en").format(n);

// A share (0–1) as a whole percentage in the page's digits and the language's sign.
export const percent = (p) => format({ style: "percent", maximumFractionDigits: 0 }).format(Number(p));

const pluralRules = new Map();
function rules(where) {
  if (!pluralRules.has(where)) pluralRules.set(where, new Intl.PluralRules(where));
  return pluralRules.get(where);
}

// The plural category of n in the page's language (one, two, few, many, other...).
export const pluralCategory = (n) => rules(locale()).select(n);

// "{n} things" by the language's plural rules: TEXT.*.pl holds one template per category.
export function plural(key, n) {
  const forms = TEXT[lang()].pl?.[key] || TEXT.en.pl[key];
  const category = pluralCategory(n);
  return fill(forms[category] ?? forms.other, { n: num(n) });
}

// Digits inside a text worded elsewhere (a template's numbers) in the page's system.
export const localDigits = (text) => (digits() === "arab"
  ? String(text).replace(/[0-9]/g, (d) => "٠١٢٣٤٥٦٧٨٩"[d]) : String(text));

// A team's name in the page's language, where the team has one in it.
export const teamLabel = (team, fallback = "") =>
  (team ? (lang() === "ar" && team.name_ar) || team.name : fallback);
