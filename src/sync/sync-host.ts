// The SyncHost port: what a sync session needs from the replica it serves
// (DESIGN §4, SYNC1–SYNC12). The worker's Replica implements it over its
// Document, verifier and OpStore; tests implement it over a bare Document
// (tests/sync/document-host.ts). Op bytes are the signed wire form (`op.bytes`).

export interface SyncHost {
  /** This replica's id, sent in `hello`. */
  readonly replicaId: string;
  /** author → highest applied seq (the fast path of catch-up, SYNC2). */
  versionVector(): Record<string, number>;
  /** Applied ops with no applied successor (exact catch-up, SYNC5). */
  heads(): string[];
  /** Whether the op is applied. */
  has(id: string): boolean;
  /** Resolves when a catch-up can be served with the seals its ops need (SYNC18); called once the peer's hello arrives. */
  beforeCatchUp?(): Promise<void>;
  /**
   * Every applied op (bytes, insertion order) whose seq > vv[author]; an
   * absent author counts as 0. A seal listing an op comes before the op's
   * first appearance (SYNC18).
   */
  opsFor(versionVector: Record<string, number>): Uint8Array[];
  /** The applied ops among `ids` (bytes), with their seals as in `opsFor`; ids it lacks are skipped. */
  getOps(ids: readonly string[]): Uint8Array[];
  /**
   * Verifies and applies received ops (never rejects on hostile input);
   * `missing` = dependency ids some buffered op still waits for.
   */
  receive(frames: Uint8Array[], fromPeer: string): Promise<{ missing: string[] }>;
  /** Subscribes to applied ops and kept seals (SYNC18); `origin` is the peerId they came from, or 'local'. Returns the unsubscribe function. */
  onApplied(listener: (ops: { id: string; bytes: Uint8Array }[], origin: string) => void): () => void;
}
