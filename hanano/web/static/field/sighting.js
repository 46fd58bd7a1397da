// A spotter's sighting in three taps: what it is, where it is from the post (a dial of eight
// directions, or the phone's compass), and how many (which sends it). Circling is a toggle.
import { h, uuid4 } from "../room/util.js";
import { t, tt } from "./i18n.js";
import { item, save } from "./store.js";
import { position } from "./place.js";

const AIRCRAFT = ["fixed_wing", "helicopter", "drone", "unknown"];
const COUNTS = [1, 2, 3, 4];
// The dial's eight directions, laid out as on a compass rose (north at the top).
const ROSE = [7, 0, 1, 6, null, 2, 5, 4, 3];

let heading = null;
// The compass, where the phone has one: the direction the phone's top points to.
function listenCompass() {
  window.addEventListener("deviceorientationabsolute", (event) => {
    if (event.alpha === null) return;
    heading = (360 - event.alpha) % 360;
    for (const button of document.querySelectorAll(".compass[disabled]")) button.disabled = false;
  });
}

async function send(chosen, who, queued) {
  const n = chosen.count;
  const sighting = {
    id: uuid4(), observed_at: chosen.seen, aircraft: chosen.aircraft,
    activity: chosen.circling ? "circling" : "bearing", bearing_deg: chosen.bearing,
    text: `count ${n} / العدد ${n}`,
  };
  if (who.post) sighting.post_id = who.post;
  else {
    const fix = await position(8000);
    if (fix) Object.assign(sighting, { lat: fix.lat, lon: fix.lon });
  }
  await save(item("sighting", "/api/v1/sightings", sighting,
    { aircraft: chosen.aircraft, dir: chosen.dir }));
  queued();
}

export function spotterView({ who, queued }) {
  listenCompass();
  const chosen = { circling: false };
  const card = h("section", { id: "f-sighting", class: "card" });
  const step = (n) => {
    card.dataset.step = String(n);
    card.replaceChildren(h("h1", {}, t("sighting_title")), ...steps[n](), ...(n > 1
      ? [h("button", { type: "button", class: "link again", onclick: () => step(1) }, t("again"))] : []));
  };
  const steps = {
    1: () => [h("h2", {}, t("step_aircraft")), h("div", { class: "grid two" }, ...AIRCRAFT.map((a) =>
      h("button", { type: "button", class: "big", "data-aircraft": a, onclick: () => {
        Object.assign(chosen, { aircraft: a, seen: new Date().toISOString(), circling: false });
        step(2);
      } }, tt("aircraft_kind", a))))],
    2: () => [h("h2", {}, t("step_dir")), h("div", { class: "grid rose" }, ...ROSE.map((d) => (d === null
      ? h("button", { type: "button", class: "big compass", disabled: heading === null, onclick: () => {
        Object.assign(chosen, { bearing: Math.round(heading) % 360, dir: Math.round(heading / 45) % 8 });
        step(3);
      } }, t("use_compass"))
      : h("button", { type: "button", class: "big", "data-dir": String(d), onclick: () => {
        Object.assign(chosen, { bearing: d * 45, dir: d });
        step(3);
      } }, t("dirs")[d]))))],
    3: () => [h("h2", {}, t("step_count")),
      h("label", { class: "toggle" }, h("input", { type: "checkbox", id: "f-circling", checked: chosen.circling,
        onchange: (e) => { chosen.circling = e.target.checked; } }), t("circling")),
      h("div", { class: "grid four" }, ...COUNTS.map((n) => h("button", { type: "button",
        class: "primary big", "data-count": String(n), onclick: async () => {
          chosen.count = n;
          await send(chosen, who, queued);
          step(1);
        } }, n === 4 ? "4+" : String(n))))],
  };
  step(1);
  return [...(who.post ? [] : [h("p", { class: "hint" }, t("no_post"))]), card];
}

