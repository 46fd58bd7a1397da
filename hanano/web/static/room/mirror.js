// The banner of a read-only mirror: which primary it copies (to whoever may be told) and how far
// behind it is, in entries and in time. A primary's page never shows it (`mirror` is null there).
import { get, set } from "./state.js";
import { fill, t } from "./i18n.js";
import { plural } from "./numbers.js";
import { $, ago } from "./util.js";

const EVERY_MS = 30000;
let timer = null;

export async function refreshMirror() {
  try {
    const response = await fetch("/api/v1/mirror", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.ok) set({ mirror: (await response.json()).mirror });
  } catch { /* the banner keeps what it last knew */ }
  if (timer === null && get("mirror")) timer = setInterval(refreshMirror, EVERY_MS);
}

export function renderMirror() {
  const banner = $("#mirror-banner");
  const mirror = get("mirror");
  banner.hidden = !mirror;
  document.body.classList.toggle("read-only", Boolean(mirror));
  if (!mirror) return;
  // In step with the primary as of its last look when nothing was missing then, else as of the
  // last checkpoint stored here.
  const since = ago(mirror.behind === 0 ? mirror.checked_at : mirror.stored_at);
  $("#mirror-title").textContent = mirror.primary ? t("mirror_of") : t("mirror_title");
  const primary = $("#mirror-primary");
  primary.hidden = !mirror.primary;
  primary.textContent = mirror.primary || "";
  $("#mirror-lag").textContent = mirror.behind === 0
    ? fill(t("mirror_in_step"), { ago: since })
    : fill(t("mirror_behind"), { entries: plural("entries", mirror.behind), ago: since });
  $("#mirror-note").textContent = t("mirror_note");
}
