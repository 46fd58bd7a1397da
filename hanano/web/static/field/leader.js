// A team leader's screen: filled in by leader_task.js.
export function leaderView() {
  return [];
}
