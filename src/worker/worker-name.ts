// The replica worker's name (APP13): the page that starts the worker for the
// room in its link says which room in the name, so the worker can load that
// room while the page still loads its own code. A name is only a hint: a
// malformed one preloads nothing, and `open` refuses a room other than the
// one preloaded.
import { isRoomId } from '../sync/room-link.js';

const PREFIX = 'huskies-replica';

/** The name of a replica worker, preloading `roomId` when given. */
export function replicaWorkerName(roomId?: string): string {
  return roomId !== undefined && isRoomId(roomId) ? `${PREFIX} ${roomId}` : PREFIX;
}

/** The room a replica worker's name asks it to preload, if any. */
export function preloadRoomOf(name: string): string | undefined {
  if (!name.startsWith(`${PREFIX} `)) return undefined;
  const roomId = name.slice(PREFIX.length + 1);
  return isRoomId(roomId) ? roomId : undefined;
}
