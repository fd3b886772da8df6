// One sync session per (replica, transport): catch-up, then live (DESIGN §4,
// docs/SPEC.md SYNC1–SYNC13). Both sides send `hello` (version vector +
// heads); each answers with the ops the other lacks by version vector, then
// its `heads`, so the other side can `want` what a version vector cannot
// express (equivocating forks, Kleppmann 2022). After that every op applied
// here from any other origin is streamed to the peer. Inbound frames are
// decoded and validated before anything reaches the host, and handled one at
// a time, in order. Reconnecting is the caller's job (see backoff.ts).
import { isSealFrame } from '../core/index.js';
import {
  canDeflate, ChunkAssembler, decodeMessage, deflateMessage, encodeMessage, FEATURE_DEFLATE, MAX_AUTHORS, MAX_FRAME_BYTES,
  MAX_HEADS, MAX_OPS_PER_MESSAGE, messageFrames, MIN_DEFLATE_BYTES, opsMessageSize, varintSize, type DecodedMessage,
  type SyncMessage,
} from '../protocol/sync-messages.js';
import type { SyncHost } from './sync-host.js';
import { Listeners, TransportClosedError, type Transport } from './transport.js';

/** Ops among frames that carry ops and seals (SYNC18): counts and progress are in ops. */
function opsAmong(frames: readonly Uint8Array[]): number {
  let n = 0;
  for (const f of frames) if (!isSealFrame(f)) n++;
  return n;
}

export type SessionState = 'connecting' | 'syncing' | 'live' | 'closed';

/** A catch-up's progress in whole percent (SYNC16); 100 once `received` reaches `expected`. */
export function progressPercent(received: number, expected: number): number {
  return expected <= 0 ? 0 : Math.floor((100 * Math.min(received, expected)) / expected);
}

export interface SessionStats {
  /** Ops handed to the transport (seals not counted). */
  readonly sent: number;
  /** Ops received in `ops` messages (seals not counted). */
  readonly received: number;
  /**
   * The catch-up's size as the peer's hello announced it (SYNC16): the ops
   * its version vector has beyond the one this side sent; 0 before its hello.
   * Forks the vector cannot express come on top (SYNC5), so `received` may pass it.
   */
  readonly expected: number;
  /** Ops waiting to be handed to the transport (catch-up, answers and live). */
  readonly queued: number;
  readonly badFrames: number;
  /** Bytes of the frames handed to the transport, and received from it (deflated messages as sent, SYNC19). */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** The peer said it reads deflated messages (`caps`, SYNC19): `ops` messages go to it deflated. */
  readonly deflate: boolean;
  readonly lastBadReason?: string;
  readonly wantsInFlight: number;
  readonly state: SessionState;
  readonly closeReason?: string;
  /** The peer's replica id from its hello. */
  readonly peerReplicaId?: string;
  readonly peerName?: string;
  /** The hello is held while another session catches up (SYNC17). */
  readonly held: boolean;
}

export interface SyncSessionOptions {
  /** Display name sent in hello. */
  readonly name?: string;
  /** Live ops that may wait for the transport before the peer is dropped as slow (SYNC9; default 256). */
  readonly maxQueuedOps?: number;
  /** Stop handing frames to the transport while its bufferedAmount is at least this (default 256 KiB). */
  readonly highWaterBytes?: number;
  /** Bad frames after which the peer is disconnected (SYNC11; default 8). */
  readonly maxBadFrames?: number;
  /** Ids wanted and not yet received, at most (SYNC7; default 4096). */
  readonly maxWantsInFlight?: number;
  /** Ops queued to answer wants, at most; further wants are ignored until they drain (default 4096). */
  readonly maxAnswerOps?: number;
  /** Sends `caps` before the hello (SYNC19; default true). False sends none, as a version-1 peer: then no deflated message comes. */
  readonly caps?: boolean;
}

/**
 * Catch-up and answers go out in `ops` messages of up to this size, chunked
 * into 16 KiB frames (SYNC3): fewer, larger batches let the receiver verify
 * hundreds of signatures at once instead of a frame's worth.
 */
const STREAM_MESSAGE_BYTES = 128 * 1024;

/** Received `ops` batches that may be verifying at once (SYNC9 keeps memory bounded). */
const MAX_RECEIVING = 8;

const WANT_BATCH = 400; // 400 × 32 bytes keeps a want message inside one 16 KiB frame

/** An encoded message waiting to be handed to the transport: `bytes` is unset while it is being deflated. */
interface Outgoing { bytes: Uint8Array | undefined; readonly size: number }

export class SyncSession {
  readonly peerId: string;
  private state: SessionState = 'connecting';
  private closeReason: string | undefined;
  private readonly opts: Required<Omit<SyncSessionOptions, 'name'>> & { name?: string };
  /** The features of the peer's `caps` (SYNC19); undefined until it sends one (a version-1 peer never does). */
  private peerFeatures: number | undefined;
  private readonly assembler = new ChunkAssembler();
  private readonly stateListeners = new Listeners<[SessionState, string | undefined]>();
  private readonly presenceListeners = new Listeners<[{ name: string; state: string }]>();
  private readonly progressListeners = new Listeners<[]>();
  private readonly unsubscribe: (() => void)[] = [];
  private inbox: Promise<void> = Promise.resolve();
  private readonly receiving: Promise<void>[] = [];
  private msgId = 0;
  // outgoing: catch-up and want answers (`stream`), then `heads`, then live ops
  private stream: Uint8Array[] = [];
  private streamPos = 0;
  private answerOps = 0;
  private pendingHeads = false;
  private live: Uint8Array[] = [];
  private pumping = false;
  /**
   * Messages behind one being deflated (SYNC19), in send order: a message
   * goes to the transport only after every message sent before it.
   */
  private outgoing: Outgoing[] = [];
  /** Bytes of the messages being deflated, before deflating: they count toward the high-water mark. */
  private deflatingBytes = 0;
  private deflating: Promise<void>[] = [];
  // progress
  private started = false;
  private helloSent = false;
  private helloReceived = false;
  private headsSent = false;
  private headsReceived = false;
  private peerReplicaId: string | undefined;
  private peerName: string | undefined;
  private readonly wanted = new Set<string>();
  /** The version vector this side's hello sent: what the peer's catch-up is measured against (SYNC16). */
  private sentVector: Record<string, number> = Object.create(null) as Record<string, number>;
  private counts = { sent: 0, received: 0, expected: 0, badFrames: 0, bytesSent: 0, bytesReceived: 0 };
  /** The catch-up's percent last reported to onProgress listeners. */
  private percent = 0;
  private lastBadReason: string | undefined;

  constructor(private readonly host: SyncHost, private readonly transport: Transport, options: SyncSessionOptions = {}) {
    this.peerId = transport.peerId;
    this.opts = {
      name: options.name,
      maxQueuedOps: options.maxQueuedOps ?? 256,
      highWaterBytes: options.highWaterBytes ?? 256 * 1024,
      maxBadFrames: options.maxBadFrames ?? 8,
      maxWantsInFlight: options.maxWantsInFlight ?? 4096,
      maxAnswerOps: options.maxAnswerOps ?? 4096,
      caps: options.caps ?? true,
    };
  }

  /**
   * Subscribes to the transport and the host and sends hello (SYNC1). Call
   * once. With `gate`, the hello waits until it settles (SYNC17): frames the
   * peer sends meanwhile wait too, and nothing is sent before the hello.
   */
  start(gate?: Promise<void>): void {
    if (this.started) throw new Error('session already started');
    this.started = true;
    if (this.transport.closed) { this.ended('transport closed before start'); return; }
    this.unsubscribe.push(
      this.transport.onFrame((f) => this.onFrame(f)),
      this.transport.onClose((reason) => this.ended(reason)),
      this.transport.onDrain(() => this.pump()),
      this.host.onApplied((ops, origin) => this.onApplied(ops, origin)),
    );
    if (gate === undefined) { this.hello(); return; }
    // Everything the peer sends is handled after the hello: the inbox starts behind it.
    const hello = () => { if (!this.isClosed()) this.hello(); };
    this.inbox = gate.then(hello, hello);
  }

  private hello(): void {
    const vv = Object.entries(this.host.versionVector()).slice(0, MAX_AUTHORS);
    for (const [author, seq] of vv) this.sentVector[author] = seq;
    const name = this.opts.name;
    // SYNC19: what this side reads, just before the hello (a version-1 peer counts it as one bad frame and goes on).
    if (this.opts.caps) this.send({ type: 'caps', features: FEATURE_DEFLATE });
    this.send({ type: 'hello', replicaId: this.host.replicaId, ...(name === undefined ? {} : { name }), versionVector: vv, heads: this.host.heads().slice(0, MAX_HEADS) });
    this.helloSent = true;
    this.pump(); // live ops queued while the hello waited
  }

  /** Current state, for the peers panel. */
  get currentState(): SessionState {
    return this.state;
  }

  stats(): SessionStats {
    return {
      ...this.counts,
      queued: this.stream.length - this.streamPos + this.live.length,
      wantsInFlight: this.wanted.size,
      state: this.state,
      deflate: this.deflate(),
      held: this.started && !this.helloSent && !this.isClosed(),
      ...(this.lastBadReason === undefined ? {} : { lastBadReason: this.lastBadReason }),
      ...(this.closeReason === undefined ? {} : { closeReason: this.closeReason }),
      ...(this.peerReplicaId === undefined ? {} : { peerReplicaId: this.peerReplicaId }),
      ...(this.peerName === undefined ? {} : { peerName: this.peerName }),
    };
  }

  /** Subscribes to state changes (connecting → syncing → live → closed, SYNC12). */
  onStateChange(listener: (state: SessionState, reason?: string) => void): () => void {
    return this.stateListeners.add(listener);
  }

  /**
   * Called while the session is syncing, each time a received `ops` message
   * brings its catch-up to a new percent (SYNC16): at most ~100 calls for a
   * catch-up of any size. `stats()` then has `received` against `expected`.
   */
  onProgress(listener: () => void): () => void {
    return this.progressListeners.add(listener);
  }

  /** Subscribes to the peer's presence messages. */
  onPresence(listener: (presence: { name: string; state: string }) => void): () => void {
    return this.presenceListeners.add(listener);
  }

  /** Sends this replica's presence (opaque state string, ≤ 4 KiB). */
  sendPresence(name: string, state: string): void {
    if (!this.helloSent) return; // before the hello it would be a bad frame (SYNC1)
    this.send({ type: 'presence', name, state });
  }

  /** Resolves once every frame received so far has been handled (tests and shutdown). */
  async idle(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.inbox;
      await tail;
      await Promise.all(this.receiving);
      await Promise.all(this.deflating);
    } while (tail !== this.inbox || this.receiving.length > 0 || this.deflating.length > 0);
  }

  /** Says bye and closes the transport. Idempotent. */
  close(reason = 'closed'): void {
    if (this.isClosed()) return;
    // Ahead of anything still being deflated: that is dropped with the session.
    this.writeFrames(encodeMessage({ type: 'bye', reason: reason.slice(0, 200) }));
    this.transport.close(reason);
    this.ended(reason);
  }

  // ---- inbound (SYNC11: validate before anything touches the host) ----

  private onFrame(frame: Uint8Array): void {
    if (this.isClosed()) return;
    this.counts.bytesReceived += frame.length;
    const d = decodeMessage(frame);
    if (!d.ok) { this.bad(d.reason); return; }
    let msg: DecodedMessage | undefined = d.msg;
    if (msg.type === 'chunk') {
      const r = this.assembler.push(msg);
      if (!r.ok) { this.bad(r.reason); return; }
      msg = r.msg;
      if (!msg) return;
    }
    if (msg.type === 'caps') {
      // SYNC19: once, before the hello; read at arrival, so the hello's catch-up is sent as the peer reads it.
      if (this.helloReceived || this.peerFeatures !== undefined) { this.bad(this.helloReceived ? 'caps after hello' : 'second caps'); return; }
      this.peerFeatures = msg.features;
      return;
    }
    if (!this.helloReceived && msg.type !== 'hello' && msg.type !== 'bye') { this.bad(`${msg.type} before hello`); return; }
    if (this.helloReceived && msg.type === 'hello') { this.bad('second hello'); return; }
    if (msg.type === 'hello') this.helloReceived = true; // synchronously, so the next frame sees it
    if (msg.type === 'bye') { this.closeReason ??= `peer said bye: ${msg.reason}`; return; } // the close follows
    const m = msg;
    this.inbox = this.inbox.then(() => this.handle(m)).catch((e: unknown) => {
      this.close(`host error: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  private bad(reason: string): void {
    this.counts.badFrames++;
    this.lastBadReason = reason;
    if (this.counts.badFrames >= this.opts.maxBadFrames) this.close(`too many bad frames (last: ${reason})`);
  }

  private async handle(msg: Exclude<DecodedMessage, { type: 'chunk' | 'caps' }>): Promise<void> {
    if (this.isClosed()) return;
    switch (msg.type) {
      case 'hello': {
        // SYNC2: answer with everything the peer's version vector lacks, then our heads.
        this.peerReplicaId = msg.replicaId;
        if (msg.name !== undefined) this.peerName = msg.name;
        const vv: Record<string, number> = Object.create(null) as Record<string, number>;
        let expected = 0;
        for (const [author, seq] of msg.versionVector) {
          vv[author] = seq;
          expected += Math.max(0, seq - (this.sentVector[author] ?? 0)); // SYNC16: what its catch-up will bring
        }
        this.counts.expected = expected;
        this.setState('syncing');
        if (this.host.beforeCatchUp) await this.host.beforeCatchUp();
        if (this.isClosed()) return;
        for (const op of this.host.opsFor(vv)) this.stream.push(op);
        this.pendingHeads = true;
        this.pump();
        return;
      }
      case 'ops': {
        this.counts.received += opsAmong(msg.ops);
        if (this.state === 'syncing') {
          const percent = progressPercent(this.counts.received, this.counts.expected);
          if (percent !== this.percent) { this.percent = percent; this.progressListeners.emit(); }
        }
        // Hand the batch over without waiting for it to apply, so verification of
        // the next batches overlaps (the host applies in call order); a window
        // of MAX_RECEIVING batches bounds the memory this may hold.
        const done = this.host.receive(msg.ops, this.peerId).then(({ missing }) => {
          if (this.isClosed()) return;
          for (const id of this.wanted) if (this.host.has(id)) this.wanted.delete(id);
          this.want(missing); // SYNC7
        });
        this.receiving.push(done);
        void done.finally(() => { this.receiving.splice(this.receiving.indexOf(done), 1); });
        if (this.receiving.length >= MAX_RECEIVING) await this.receiving[0];
        return;
      }
      case 'heads':
        // Heads are judged against what we hold: let received batches land first.
        await Promise.all(this.receiving);
        // SYNC5: any head we lack reveals ops the version vector could not (forks).
        this.want(msg.heads);
        this.headsReceived = true;
        this.maybeLive();
        return;
      case 'want': {
        // SYNC6: answer with the ops we have, streamed like catch-up.
        const room = this.opts.maxAnswerOps - this.answerOps;
        if (room <= 0) return;
        const ops = this.host.getOps(msg.ids.slice(0, room));
        this.answerOps += ops.length;
        for (const op of ops) this.stream.push(op);
        this.pump();
        return;
      }
      case 'presence': this.presenceListeners.emit({ name: msg.name, state: msg.state }); return;
      case 'bye': return; // handled on arrival
    }
  }

  /** Wants the ids we lack and have not already asked this peer for (SYNC7: deduped, bounded). */
  private want(ids: readonly string[]): void {
    const fresh: string[] = [];
    for (const id of ids) {
      if (this.wanted.size >= this.opts.maxWantsInFlight) break;
      if (this.wanted.has(id) || this.host.has(id)) continue;
      this.wanted.add(id);
      fresh.push(id);
    }
    for (let i = 0; i < fresh.length; i += WANT_BATCH) this.send({ type: 'want', ids: fresh.slice(i, i + WANT_BATCH) });
  }

  // ---- outbound ----

  /** SYNC8: ops applied from any origin but this peer are streamed to it, once it said hello. */
  private onApplied(ops: readonly { id: string; bytes: Uint8Array }[], origin: string): void {
    // Until the peer's hello is handled, its catch-up (computed then) will hold these ops anyway;
    // queued meanwhile, a held hello's wait (SYNC17) would fill the live queue (SYNC9).
    if (this.isClosed() || origin === this.peerId || this.state === 'connecting') return;
    for (const op of ops) this.live.push(op.bytes);
    this.pump();
    // SYNC9: a peer that cannot keep up is dropped; it resyncs by version vector on reconnect.
    if (this.live.length > this.opts.maxQueuedOps) this.close('slow peer');
  }

  /** Hands queued ops to the transport while its buffer is under the high-water mark (SYNC9). */
  private pump(): void {
    if (this.pumping || this.isClosed() || !this.helloSent) return;
    this.pumping = true;
    try {
      while (!this.isClosed() && this.transport.bufferedAmount + this.deflatingBytes < this.opts.highWaterBytes) {
        if (this.streamPos < this.stream.length) {
          const batch = this.take(this.stream, this.streamPos);
          this.streamPos += batch.length;
          this.answerOps = Math.max(0, this.answerOps - batch.length);
          if (this.streamPos === this.stream.length) { this.stream = []; this.streamPos = 0; }
          this.sendOps(batch);
        } else if (this.pendingHeads) {
          this.pendingHeads = false;
          const heads = this.host.heads();
          if (heads.length === 0) this.send({ type: 'heads', heads: [] });
          for (let i = 0; i < heads.length; i += MAX_HEADS) this.send({ type: 'heads', heads: heads.slice(i, i + MAX_HEADS) });
          this.headsSent = true;
          this.maybeLive();
        } else if (this.live.length > 0) {
          const batch = this.take(this.live, 0);
          this.live.splice(0, batch.length);
          this.sendOps(batch);
        } else break;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The longest run of ops from `from` that fits one frame (at least one op; a big op is chunked, SYNC3). */
  private take(list: readonly Uint8Array[], from: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let size = 2 + 2;
    // As large as the room left under the high-water mark allows (at least a frame).
    const budget = Math.min(STREAM_MESSAGE_BYTES, Math.max(MAX_FRAME_BYTES, this.opts.highWaterBytes - this.transport.bufferedAmount - this.deflatingBytes));
    for (let i = from; i < list.length && out.length < MAX_OPS_PER_MESSAGE; i++) {
      const add = varintSize(list[i]!.length) + list[i]!.length;
      if (out.length > 0 && size + add > budget) break;
      out.push(list[i]!);
      size += add;
    }
    return out;
  }

  private sendOps(ops: Uint8Array[]): void {
    if (opsMessageSize(ops.map((o) => o.length)) > STREAM_MESSAGE_BYTES && ops.length > 1) throw new Error('packing bug');
    this.counts.sent += opsAmong(ops);
    const whole = encodeMessage({ type: 'ops', ops });
    if (canDeflate && this.deflate() && whole.length >= MIN_DEFLATE_BYTES) this.sendDeflated(whole);
    else this.sendEncoded(whole);
  }

  /** Sends an encoded `ops` message deflated (SYNC19), in its turn: later messages wait for it. */
  private sendDeflated(whole: Uint8Array): void {
    const item: Outgoing = { bytes: undefined, size: whole.length };
    this.outgoing.push(item);
    this.deflatingBytes += item.size;
    const done = deflateMessage(whole).then((bytes) => { item.bytes = bytes; }, () => { item.bytes = whole; }).then(() => {
      this.deflatingBytes -= item.size;
      this.deflating.splice(this.deflating.indexOf(done), 1);
      this.flushOutgoing();
      this.pump();
    });
    this.deflating.push(done);
  }

  /** Whether the peer reads deflated messages (its `caps`, SYNC19). */
  private deflate(): boolean {
    return ((this.peerFeatures ?? 0) & FEATURE_DEFLATE) !== 0;
  }

  private send(msg: SyncMessage): void {
    if (this.isClosed() || this.transport.closed) return;
    this.sendEncoded(encodeMessage(msg));
  }

  /** Sends an encoded message now, or behind the messages still being deflated. */
  private sendEncoded(whole: Uint8Array): void {
    if (this.outgoing.length === 0) this.writeFrames(whole);
    else this.outgoing.push({ bytes: whole, size: whole.length });
  }

  /** Hands the waiting messages to the transport, in order, up to the first one still being deflated. */
  private flushOutgoing(): void {
    while (this.outgoing.length > 0 && this.outgoing[0]!.bytes !== undefined) this.writeFrames(this.outgoing.shift()!.bytes!);
  }

  private writeFrames(whole: Uint8Array): void {
    if (this.isClosed() || this.transport.closed) return;
    try {
      for (const f of messageFrames(whole, this.msgId)) { this.transport.send(f); this.counts.bytesSent += f.length; }
      this.msgId = (this.msgId + 1) >>> 0;
    } catch (e) {
      if (e instanceof TransportClosedError) this.ended('transport closed');
      else throw e;
    }
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private maybeLive(): void {
    if (this.state === 'syncing' && this.headsSent && this.headsReceived) this.setState('live');
  }

  private setState(state: SessionState, reason?: string): void {
    if (this.state === state || this.isClosed()) return;
    this.state = state;
    this.stateListeners.emit(state, reason);
  }

  private ended(reason: string): void {
    if (this.isClosed()) return;
    this.closeReason ??= reason;
    for (const off of this.unsubscribe.splice(0)) off();
    this.stream = [];
    this.streamPos = 0;
    this.live = [];
    this.outgoing = [];
    this.wanted.clear();
    this.setState('closed', this.closeReason);
  }
}
