// The shape every engine adapter of the comparison bench fills in (issue 6):
// build the three authors' replicas from the board workload, merge them,
// encode the whole history, load it back. run.ts repeats this and takes medians.
import type { WorkloadSize } from '../workload.js';

/** The figures of one run of one engine (times in ms, sizes in bytes). */
export interface EngineRun {
  /** Wall time of the three authors' local edits, one after the other (init excluded). */
  applyMs: number;
  /** Logical edits applied (creates + updates + purges). */
  edits: number;
  /** Every replica takes in the other two's changes. */
  mergeMs: number;
  /** Bytes of the whole merged history in the engine's own encoding. */
  encodedBytes: number;
  /** Time to load a fresh document from that encoding. */
  loadMs: number;
  /** Visible stories after merge (sanity: stories − purges), identical on every replica. */
  stories: number;
  /** Engine-specific extra figures. */
  extra?: Record<string, number>;
  /** The encoding itself, for the memory probe (not reported). */
  encoded: Uint8Array;
}

/** One engine under test. */
export interface Engine {
  readonly name: string;
  /** One full run: apply, merge, encode, load. */
  run(size: WorkloadSize): Promise<EngineRun>;
  /** Loads an encoding and returns the live document (the memory probe keeps it alive). */
  load(encoded: Uint8Array): unknown;
}

/** Throws when replicas disagree after merge: a bench of a broken merge measures nothing. */
export function assertSame(engine: string, views: readonly string[]): void {
  for (const v of views) if (v !== views[0]) throw new Error(`${engine}: replicas differ after merge`);
}
