// Builds a signed backup file of a board in Node, fast (WebCrypto Ed25519),
// for the browser tests and benchmarks that need a big room: N stories made
// through the pipeline's own commands, then field updates, as one author.
import { Document, toHex, type LocalAction } from '../../../src/core/index.js';
import { BoardIndex, createStory, initBoard, moveStory, editStory, validateOpForBoard, STAGES } from '../../../src/pipeline/index.js';
import { encodeLogFile } from '../../../src/protocol/log-file.js';
import { WebCryptoSigner } from '../../../src/worker/signer.js';

/** A backup of `stories` stories plus `updates` edits (≈ stories + updates + 1 ops). */
export async function makeBackup(stories: number, updates = 0, seed = 7): Promise<{ file: Uint8Array; ops: number; ids: string[] }> {
  const signer = await WebCryptoSigner.fromSeed(new Uint8Array(32).fill(seed));
  const author = toHex(signer.publicKey);
  const doc = new Document({ validate: validateOpForBoard });
  const bytes: Uint8Array[] = [];
  const index = new BoardIndex(doc); // keeps story lookups O(1) for the commands
  let now = 1_700_000_000_000;
  const commit = async (actions: LocalAction[]) => {
    if (actions.length === 0) return; // nothing changed (e.g. a move to the stage it is in)
    const p = doc.prepare(author, actions);
    const op = doc.commit(p, await signer.sign(p.idBytes));
    index.update([op], now);
    bytes.push(op.bytes);
  };
  const ctx = () => ({ author, now: now++ });
  await commit(initBoard(doc, ctx()));
  const ids: string[] = [];
  for (let i = 0; i < stories; i++) {
    const id = `S-${seed}-${i.toString(36)}`;
    ids.push(id);
    await commit(createStory(doc, ctx(), { id, kind: 'story', title: `Story ${i}`, criteria: ['it works'] }));
  }
  for (let i = 0; bytes.length < stories + 1 + updates; i++) {
    const id = ids[(i * 7919) % ids.length]!;
    if (i % 2 === 0) await commit(moveStory(doc, ctx(), id, STAGES[(i >> 1) % 4]!));
    else await commit(editStory(doc, ctx(), id, { title: `Story renamed ${i}` }));
  }
  return { file: encodeLogFile(bytes), ops: bytes.length, ids };
}
