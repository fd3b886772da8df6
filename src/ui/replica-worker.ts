// Starting the replica worker (APP13). The entry starts it first thing, for
// the room in the link, so the worker loads the room while the page loads
// and evaluates the app's code; the replica client then takes that worker
// over. No comlink or idb here: replica-client.ts stays the one module that
// talks to the worker.
import { replicaWorkerName } from '../worker/worker-name.js';

let early: { readonly worker: Worker; readonly roomId: string | undefined } | undefined;

function start(roomId: string | undefined): Worker {
  return new Worker(new URL('../worker/replica.worker.ts', import.meta.url), { type: 'module', name: replicaWorkerName(roomId) });
}

/** Starts the worker now, loading `roomId` when given. */
export function startReplicaWorker(roomId: string | undefined): void {
  early ??= { worker: start(roomId), roomId };
}

/**
 * The worker for `roomId`: the one started early when it loads that room (or
 * none), else a new one — an early worker loading another room is stopped.
 */
export function replicaWorker(roomId: string): Worker {
  const e = early;
  early = undefined;
  if (e && (e.roomId === undefined || e.roomId === roomId)) return e.worker;
  e?.worker.terminate();
  return start(roomId);
}
