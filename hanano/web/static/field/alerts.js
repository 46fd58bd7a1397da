// The public alerts for where the phone stands (the neighbourhood last chosen or found by
// GPS), read again every half minute while there is a network; all active ones where it is
// not known. Alerts are public: any token may read them.
import { $, h } from "../room/util.js";
import { subscribe } from "../room/state.js";
import { fill, t, tt } from "./i18n.js";
import { call } from "./net.js";
import { here, zones, zoneLabel } from "./place.js";

let last = [];

function draw() {
  const where = here();
  const active = last.filter((a) => a.status === "active" && a.level !== "all_clear");
  const mine = where ? active.filter((a) => (a.zones || []).some((z) => z.pcode === where)) : active;
  const box = $("#f-alerts");
  box.hidden = mine.length === 0;
  const names = new Map(zones().map((z) => [z.pcode, zoneLabel(z)]));
  box.replaceChildren(h("strong", {}, t("alerts_here")), ...mine.slice(0, 3).map((a) =>
    h("p", { class: `alert level-${a.level}` }, fill(t("alert_line"), {
      level: tt("alert_level", a.level),
      zones: (a.zones || []).slice(0, 4).map((z) => names.get(z.pcode) || z.pcode).join(", "),
    }))));
}

async function read() {
  if (!navigator.onLine) return;
  try {
    last = (await call("/api/v1/alerts?hours=1")).alerts || [];
    draw();
  } catch {
    // No network or no token: the last alerts read stay up.
  }
}

export function watchAlerts() {
  subscribe(["lang"], draw);
  read();
  setInterval(read, 30000);
  window.addEventListener("online", read);
}
