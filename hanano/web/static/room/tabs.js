// The boards beside the map, one shown at a time.
import { get, set } from "./state.js";

export const TABS = ["queue", "teams", "alerts", "safety", "timeline"];

// Rows drawn on a board nobody is looking at are work for nothing, and some boards hold a
// thousand (a watch for every site struck in the hour): such a board is drawn when it is shown,
// from the store as it is then, and meanwhile only its count on the tab follows.
const unseen = new Map();
export function drawWhenShown(name, draw) {
  if (get("tab") === name) {
    unseen.delete(name);
    draw();
  } else {
    unseen.set(name, draw);
  }
}

// A board chosen closes the detail drawn over the boards.
export function showTab(name) {
  if (get("tab") !== name && get("detail")) {
    set({ detail: null });
    document.querySelector("#detail").hidden = true;
  }
  set({ tab: name });
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
  for (const p of document.querySelectorAll(".panel")) p.classList.toggle("on", p.dataset.panel === name);
  const draw = unseen.get(name);
  unseen.delete(name);
  draw?.();
}
