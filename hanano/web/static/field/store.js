// What this phone has entered, in IndexedDB: each item with its client UUID, the time it was
// observed and where it stands (queued, sent, acknowledged with its log index, or refused).
// Items outlive a closed app, a restarted phone and a revoked token.
const DB = "hanano-field";
const ITEMS = "items";

let opened = null;
function db() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(ITEMS, { keyPath: "id" }).createIndex("created", "created");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run(mode, fn) {
  const store = (await db()).transaction(ITEMS, mode).objectStore(ITEMS);
  return new Promise((resolve, reject) => {
    const request = fn(store);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export const save = (item) => run("readwrite", (s) => s.put(item));
export const load = (id) => run("readonly", (s) => s.get(id));
// Oldest first: they are sent in the order they were entered.
export const all = () => run("readonly", (s) => s.index("created").getAll());

// An item to send: `path` is the API route, `body` exactly what is sent every time (the server
// knows a resend by its id and answers it as the first time).
export function item(kind, path, body, label, extra = {}) {
  return { id: body.id, kind, path, body, label, state: "queued", created: Date.now(), ...extra };
}
