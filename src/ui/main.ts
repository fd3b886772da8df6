// Browser entry. First the replica worker, for the room in the link (APP13):
// it loads the room while the page fetches and evaluates the app's code,
// which is imported after it. Then it mounts the Svelte shell. No CRDT logic
// lives on this thread (DESIGN §1); the replica runs in the module worker,
// reached through src/ui/replica-client.ts.
import { parseRoomLink } from '../sync/room-link.js';
import { startReplicaWorker } from './replica-worker.js';

const link = parseRoomLink(location.hash);
startReplicaWorker(link.ok ? link.room.roomId : undefined);

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

const [{ mount }, { default: App }] = await Promise.all([import('svelte'), import('./App.svelte')]);
mount(App, { target });
