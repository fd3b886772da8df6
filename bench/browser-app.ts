// The app as `npm start` serves it, for the browser benches (bench/browser/*.ts):
// starts `scripts/start.js` on a port and resolves once it is listening.
import { spawn } from 'node:child_process';

/** Starts the app on 127.0.0.1:`port`; resolves with a function that stops it. */
export async function startApp(port: number): Promise<() => void> {
  const child = spawn(process.execPath, ['scripts/start.js'], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('running at')) resolve(); });
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}`)));
  });
  return () => child.kill();
}
