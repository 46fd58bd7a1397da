// The boards beside the map, one shown at a time.
import { get, set } from "./state.js";

export const TABS = ["queue", "teams", "alerts", "safety", "timeline"];

// A board chosen closes the detail drawn over the boards.
export function showTab(name) {
  if (get("tab") !== name && get("detail")) {
    set({ detail: null });
    document.querySelector("#detail").hidden = true;
  }
  set({ tab: name });
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
  for (const p of document.querySelectorAll(".panel")) p.classList.toggle("on", p.dataset.panel === name);
}
