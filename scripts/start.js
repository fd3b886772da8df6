// `node scripts/start.js` (npm start): registers tsx so Node can run the
// TypeScript entry, then hands over to scripts/start.ts.
import { register } from 'tsx/esm/api';

register();
await import('./start.ts');
