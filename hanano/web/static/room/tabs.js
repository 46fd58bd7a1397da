// The boards beside the map, one shown at a time.
import { set } from "./state.js";

export const TABS = ["queue", "teams", "alerts", "safety", "timeline"];

export function showTab(name) {
  set({ tab: name });
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
  for (const p of document.querySelectorAll(".panel")) p.classList.toggle("on", p.dataset.panel === name);
}
