// Browser harness: the OpStore, MetaStore and SealStore contract suites
// (STYLE 3) against IdbOpStore on Chromium's real IndexedDB, and IdbOpStore's
// own format cases (packed records, version 1 logs: STORE15; the version 3
// upgrade: STORE16); exposes `window.storeContract`.
import { IdbOpStore } from '../../../src/storage/idb-op-store';
import { metaStoreContract, opStoreContract, sealStoreContract } from '../../../src/storage/op-store-contract';
import { idbOpStoreCases } from '../../../src/storage/idb-op-store-cases';

declare global {
  interface Window {
    storeContract: {
      cases(): { suite: string; rule: string; name: string }[];
      run(suite: string, index: number): Promise<{ ok: boolean; error?: string }>;
    };
  }
}

let room = 0;
const suites = { op: opStoreContract, meta: metaStoreContract, seal: sealStoreContract, idb: idbOpStoreCases } as const;

window.storeContract = {
  cases() {
    return (Object.keys(suites) as (keyof typeof suites)[]).flatMap((suite) =>
      suites[suite].map((c) => ({ suite, rule: c.rule, name: c.name })));
  },
  async run(suite, index) {
    const c = suites[suite as 'op' | 'meta' | 'seal'][index]!;
    const roomId = `contract-${Date.now()}-${room++}`; // fresh storage per case; every make() reopens it
    const opened: IdbOpStore[] = [];
    try {
      if (suite === 'idb') {
        await idbOpStoreCases[index]!.run(indexedDB, roomId);
        return { ok: true };
      }
      await c.run(async () => { const s = await IdbOpStore.open(roomId); opened.push(s); return s; });
      return { ok: true };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    } finally {
      for (const s of opened) await s.close().catch(() => undefined);
    }
  },
};
document.getElementById('status')!.textContent = 'ready';
