// A recommendation's reason and why no team is recommended, worded in the page's language from
// their parts (the server's `reason_parts` and `summary_parts`); the server's English sentence
// stands in when a part is one this page does not know.
import { rs, t, tt } from "./i18n.js";
import { h } from "./util.js";
import { get } from "./state.js";
import { num, teamLabel } from "./numbers.js";

const capWords = (caps, joiner) => caps.map((c) => tt("capability", c)).join(rs(joiner));
const duration = (p) => rs(p.unit === "h" ? "h" : "min", { n: num(p.value, 1) });

function partWords(p) {
  switch (p.code) {
    case "travel": {
      if (p.via !== "road" && p.via !== "straight_line") return null;
      let via = rs(`via_${p.via}`);
      if (p.no_open_road) via += p.within_min ? rs("no_open_road_within", { min: num(p.within_min) }) : rs("no_open_road");
      return rs(p.at_least ? "travel_at_least" : "travel", { minutes: num(p.minutes), via });
    }
    case "origin":
      if (p.place === "position") return rs("origin_position");
      return p.position_age_min == null ? rs("origin_base") : rs("origin_stale", { age: num(p.position_age_min) });
    case "crew_short": return rs("crew_short", { crew: num(p.crew), min_crew: num(p.min_crew) });
    case "matches": return capWords(p.capabilities, "and");
    case "offers": return capWords(p.capabilities, "list") || rs("no_capability");
    case "lacks": return rs("lacks", { caps: capWords(p.capabilities, "or") });
    case "tired": return rs("tired", { hours: num(p.duty_hours, 1) });
    case "rested": return rs("rested", { duration: duration(p) });
    case "no_task_yet": return rs("no_task_yet", { duration: duration(p) });
    case "last_in_sector": return rs("last_in_sector", { sector: tt("sector", p.sector), rival: p.rival });
    default: return null;
  }
}

// The team's name is isolated (bdi) so that a Latin name does not pull the Arabic words and
// numbers after it into its own direction.
export function reasonText(r) {
  const parts = r.reason_parts || [];
  const words = parts.map(partWords);
  if (parts[0]?.code !== "travel" || parts[1]?.code !== "origin" || words.includes(null)) return r.reason;
  return [h("bdi", {}, teamLabel(get("teams").get(r.team_id), r.name)), `: ${[words[0] + words[1], ...words.slice(2)].join(rs("sep"))}`];
}

// Why no team is recommended, from the summary's parts; the server's words otherwise.
export function summaryText(recs) {
  const [head, ...rest] = recs.summary_parts || [];
  const incident = head?.incident_id;
  if (head?.code === "not_needed") return rs("not_needed", { incident, status: tt("status", head.status) });
  if (head?.code === "no_place") return rs("no_place", { incident });
  if (head?.code === "no_team_available") {
    const why = rest.map((e) => (e.code === "busy" ? rs("busy", { team: e.team, task: e.task_id })
      : e.code === "duty" ? rs("duty", { team: e.team, duty: tt("state", e.duty) })
        : e.code === "no_teams_registered" ? rs("no_teams_registered") : null));
    if (!why.includes(null)) return rs("no_team_available", { incident, why: why.join(rs("why_sep")) });
  }
  return recs.summary || t("no_teams");
}

