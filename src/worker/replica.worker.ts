// The worker entry: the only file that calls comlink's expose (DESIGN §5).
import { expose } from 'comlink';
import { createWorkerApi } from './api.js';

expose(createWorkerApi());
