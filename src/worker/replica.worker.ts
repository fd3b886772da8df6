// The worker entry: the only file that calls comlink's expose (DESIGN §5).
// A name that names a room starts loading it at once (APP13).
import { expose } from 'comlink';
import { createWorkerApi } from './api.js';
import { preloadRoomOf } from './worker-name.js';

const preload = preloadRoomOf(self.name);
expose(createWorkerApi(preload === undefined ? {} : { preload }));
