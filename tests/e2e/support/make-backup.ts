// Builds signed backup files of a board in Node, fast (Node's native Ed25519),
// for the browser tests and benchmarks that need a big room: a board with
// `stories` stories, then seeded edits spread over them, as one author, with
// the author's seals (CORE18) as a replica exports them: each before its ops.
import { createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import {
  Document, HEAD, MAX_SEAL_IDS, ROOT, fromHex, joinSeal, keyPairFromSeed, sealBody, toHex, type LocalAction, type ObjId,
} from '../../../src/core/index.js';
import { validateOpForBoard } from '../../../src/pipeline/index.js';
import { encodeLogFile } from '../../../src/protocol/log-file.js';
import { Prng } from '../../support/prng.js';

export interface BackupSize {
  /** Stories created (one op each). */
  readonly stories: number;
  /** Ops in total (the rest are edits spread over the stories). */
  readonly ops: number;
  readonly seed?: number;
}

const STAGES = ['backlog', 'current', 'qa', 'merge', 'done'] as const;
const KINDS = ['story', 'bug', 'spike', 'refactor'] as const;
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A valid rank (PIPE5) that sorts like `i`: four base-62 digits and a final 'V'. */
function rankOf(i: number): string {
  let out = '';
  for (let k = 0; k < 4; k++) { out = DIGITS[i % 62]! + out; i = Math.floor(i / 62); }
  return `${out}V`;
}

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7): Node's native signer is ~30× noble.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A signed backup file (REPL7) of a board with `stories` stories and `ops`
 * ops in all: init, one create per story, then seeded edits (title, stage,
 * criterion ticks), each run of 256 ops after its seal. Deterministic for a
 * seed; signed with a fixed test key.
 */
export function generateBackup(size: BackupSize): Uint8Array {
  const seed = new Uint8Array(32).fill(7);
  const author = toHex(keyPairFromSeed(seed).publicKey);
  const key: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
  const doc = new Document({ validate: validateOpForBoard });
  const commit = (actions: LocalAction[]) => {
    const p = doc.prepare(author, actions);
    return doc.commit(p, new Uint8Array(nodeSign(null, p.idBytes, key)));
  };
  const now = 1_700_000_000_000;
  const init = commit([
    { type: 'set', obj: ROOT, key: 'stories', value: { make: 'list' } },
    { type: 'set', obj: ROOT, key: 'settings', value: { make: 'map' } },
    { type: 'set', obj: { self: 1 }, key: 'autoPromote', value: false },
    // Far in the future: the bench's old timestamps must not trigger auto-archiving (PIPE22).
    { type: 'set', obj: { self: 1 }, key: 'archiveAfterMs', value: 100 * 365 * 24 * 3600 * 1000 },
    { type: 'set', obj: { self: 1 }, key: 'retryLimit', value: 3 },
    { type: 'set', obj: ROOT, key: 'names', value: { make: 'map' } },
  ]);
  const list: ObjId = `${init.id}:0`;
  const stories: { elem: ObjId; criteria: ObjId[] }[] = [];
  for (let i = 0; i < size.stories; i++) {
    const stage = STAGES[i % STAGES.length]!;
    const actions: LocalAction[] = [{ type: 'ins', obj: list, after: HEAD, value: { make: 'map' } }];
    const s = { self: 0 };
    const fields = {
      id: `S-${i.toString(36).padStart(8, '0')}`, kind: KINDS[i % 4]!, title: `Story ${i}: make the board faster`,
      description: `As a user I want item ${i} to work.`, stage, assignee: `agent-${i % 7}`, blocked: false, blockedReason: null,
      retries: 0, archiveReason: null, rank: rankOf(i), createdBy: author, createdAt: now + i, updatedBy: author, updatedAt: now + i, doneAt: stage === 'done' ? now + i : null,
    };
    for (const [k, v] of Object.entries(fields)) actions.push({ type: 'set', obj: s, key: k, value: v });
    const cl = actions.length;
    actions.push({ type: 'set', obj: s, key: 'criteria', value: { make: 'list' } });
    const crit: number[] = [];
    let after: string | { self: number } = HEAD;
    for (const text of ['it builds', 'it is tested', 'it is documented']) {
      const at = actions.length;
      crit.push(at);
      actions.push({ type: 'ins', obj: { self: cl }, after, value: { make: 'map' } });
      actions.push({ type: 'set', obj: { self: at }, key: 'text', value: text });
      actions.push({ type: 'set', obj: { self: at }, key: 'done', value: false });
      after = { self: at };
    }
    actions.push({ type: 'set', obj: s, key: 'dependsOn', value: { make: 'map' } });
    const op = commit(actions);
    stories.push({ elem: `${op.id}:0`, criteria: crit.map((c) => `${op.id}:${c}`) });
  }
  const prng = new Prng(size.seed ?? 1);
  const r = () => prng.float();
  for (let i = doc.log().length; i < size.ops; i++) {
    const story = stories[Math.floor(r() * stories.length)]!;
    const k = r();
    const touch: LocalAction[] = [
      { type: 'set', obj: story.elem, key: 'updatedBy', value: author },
      { type: 'set', obj: story.elem, key: 'updatedAt', value: now + size.stories + i },
    ];
    if (k < 0.4) commit([{ type: 'set', obj: story.elem, key: 'title', value: `Renamed ${i}` }, ...touch]);
    else if (k < 0.7) commit([{ type: 'set', obj: story.criteria[Math.floor(r() * 3)]!, key: 'done', value: r() < 0.5 }, ...touch]);
    else commit([{ type: 'set', obj: story.elem, key: 'description', value: `Edited ${i}: still about the board.` }, ...touch]);
  }
  const log = doc.log();
  const frames: Uint8Array[] = [];
  for (let at = 0; at < log.length; at += MAX_SEAL_IDS) {
    const run = log.slice(at, at + MAX_SEAL_IDS);
    const { body, message } = sealBody(fromHex(author)!, run.map((op) => op.id));
    frames.push(joinSeal(body, new Uint8Array(nodeSign(null, message, key))));
    for (const op of run) frames.push(op.bytes);
  }
  return encodeLogFile(frames);
}

/** A backup of `stories` stories plus `updates` edits: stories + updates + 1 ops. */
export async function makeBackup(stories: number, updates = 0, seed = 1): Promise<{ file: Uint8Array; ops: number }> {
  const ops = stories + updates + 1;
  return { file: generateBackup({ stories, ops, seed }), ops };
}
