// The UI's reactive mirror of one board (docs/SPEC.md UI3): it opens the
// replica worker through ReplicaClient, folds board patches into a
// BoardMirror (a plain Map updated in place, signalled by a version counter,
// and per-column arrays in `$state.raw`, replaced only when a patch touches
// them — never deeply proxied, STYLE 12), and keeps status, sync, the
// activity feed and the UI's own state (filter, focus, announcements). No
// CRDT logic: commands go to the worker.
import { tick } from 'svelte';
import {
  FEED_LIMIT, ReplicaClient, type BoardEvent, type BoardPatch, type Command, type CommandResult, type OpenInfo,
  type ReplicaStatus, type RoomCredentials, type SyncStatus, type Settings, type Stage, type StoryView,
} from './replica-client.js';
import { BoardMirror, ColumnFilter, NO_FILTER, emptyColumns, type Columns, type Filter } from './board-model.js';

export class BoardStore {
  /**
   * 'shown': the board painted from the worker's cached view (REPL15) while
   * the worker still opens; commands sent now wait in the worker and run
   * once it is open. 'open': the worker is open and its own board is shown.
   */
  phase = $state<'opening' | 'shown' | 'open' | 'failed'>('opening');
  /** Where the first board on screen came from: the cached view, or the open worker (and why not the cache). */
  shownFrom = $state<string>('');
  /** While the cached first screen is shown ('shown'): every column's true size (its cards are the top of it). */
  totals = $state.raw<Readonly<Record<Stage, number>> | null>(null);
  openError = $state('');
  info = $state.raw<OpenInfo | null>(null);
  private readonly mirror = new BoardMirror();
  /** Bumped on every patch: readers of `stories` depend on it (the Map itself is updated in place). */
  private version = $state(0);
  columns = $state.raw<Columns>(emptyColumns());
  /** Assignees of live stories, sorted (for the filter); a new array only when the set changes. */
  assignees = $state.raw<readonly string[]>([]);
  initialised = $state(false);
  settings = $state.raw<Settings | null>(null);
  names = $state.raw<Readonly<Record<string, string>>>({});
  issues = $state.raw<readonly string[]>([]);
  status = $state.raw<ReplicaStatus | null>(null);
  sync = $state.raw<SyncStatus | null>(null);
  events = $state.raw<readonly BoardEvent[]>([]);
  filter = $state.raw<Filter>(NO_FILTER);
  /** The card that should hold keyboard focus after it re-renders (a move re-creates it). */
  focusRequest = $state<string | null>(null);
  announcement = $state('');
  lastError = $state('');
  private readonly filterer = new ColumnFilter();
  visible = $derived(this.filterer.apply(this.columns, this.filter));

  private client: ReplicaClient | undefined;

  /**
   * Opens the room; resolves once the worker is open and its first full
   * board is rendered (UI1, UI15). The worker's cached view, when it has a
   * sound one, is painted first (REPL15).
   */
  async open(room: RoomCredentials, create: boolean, name: string): Promise<void> {
    try {
      performance.mark('huskies:open-start');
      const client = new ReplicaClient(room.roomId);
      this.client = client;
      const relayUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/relay`;
      const opening = client.open({ room, create, name, relayUrl });
      opening.catch(() => undefined); // awaited below
      const cached = client.cachedBoard().catch((e: unknown) => ({ ok: false as const, reason: String(e) }));
      const early = await Promise.race([cached, opening.then(() => null, () => null)]);
      /** The `upTo` of the cached whole board on screen, if one is (REPL15). */
      let have: number | undefined;
      if (early?.ok) {
        // The whole board of the same view is read (IO, not this thread) while the first screen paints.
        const wholeRead = early.whole === undefined ? undefined : client.readWholeBoard(early.whole);
        const t = [performance.now()];
        this.apply(early.patch);
        this.totals = early.totals;
        t.push(performance.now());
        this.phase = 'shown';
        this.shownFrom = 'cache';
        await tick();
        performance.mark('huskies:board-shown');
        t.push(performance.now());
        console.info(`[huskies] page: cached first screen (${early.patch.upserts.length} stories) received ${t[0]!.toFixed(0)} ms after navigation (parsed in ${early.parseMs.toFixed(0)} ms), folded +${(t[1]! - t[0]!).toFixed(0)}, rendered +${(t[2]! - t[1]!).toFixed(0)}; the worker is still opening`);
        // Then the whole board of the same view, read and parsed here while
        // the worker restores: the worker then sends only what changed since.
        const read = await wholeRead;
        if (read !== undefined) {
          const whole = read.ok ? client.parseWholeBoard(read.text) : read;
          if (whole.ok && read.ok) {
            const w0 = performance.now();
            this.apply(whole.patch);
            this.totals = null;
            have = early.upTo;
            await tick();
            console.info(`[huskies] page: cached whole board (${whole.patch.upserts.length} stories) read in ${read.readMs.toFixed(0)} ms (from the first screen's arrival), parsed in ${whole.parseMs.toFixed(0)} ms, ${w0.toFixed(0)} ms after navigation; folded and rendered +${(performance.now() - w0).toFixed(0)}`);
          } else if (!whole.ok) console.info(`[huskies] page: the cached whole board is not used: ${whole.reason}`);
        }
      } else {
        this.shownFrom = `worker (${early ? `cache not used: ${early.reason}` : 'opened before the cache was read'})`;
      }
      // Subscribed now: the worker answers the moment it is open, while this
      // page still sets up its network.
      const subscribed = client.subscribe({
        board: (p) => this.apply(p),
        events: (e) => this.onEvents(e),
        status: (s) => (this.status = s),
        sync: (s) => (this.sync = s),
      }, have);
      subscribed.catch(() => undefined); // the open's failure is the one reported
      this.info = await opening;
      performance.mark('huskies:replica-open');
      const first = await subscribed;
      performance.mark('huskies:first-patch');
      this.apply(first);
      this.totals = null;
      this.phase = 'open';
      void client.syncStatus().then((s) => (this.sync ??= s));
      if (!navigator.onLine) void client.setOnline(false);
      await tick();
      // UI15: the cold-open measurement ends here: the worker is open and its own board is on screen.
      if (this.shownFrom !== 'cache') performance.mark('huskies:board-shown');
      performance.mark('huskies:board-ready');
      const at = (mark: string) => performance.getEntriesByName(mark)[0]?.startTime ?? NaN;
      const marks = ['huskies:open-start', 'huskies:replica-open', 'huskies:first-patch', 'huskies:board-ready'].map(at);
      console.info(`[huskies] page: first board from the ${this.shownFrom}; open started ${marks[0]!.toFixed(0)} ms after navigation; replica open (worker ${this.info.openMs.toFixed(0)} ms) +${(marks[1]! - marks[0]!).toFixed(0)}; first patch (${first.full ? 'full' : 'changes since the cached board'}: ${first.upserts.length} stories) +${(marks[2]! - marks[1]!).toFixed(0)}; rendered +${(marks[3]! - marks[2]!).toFixed(0)}`);
    } catch (e) {
      this.openError = e instanceof Error ? e.message : String(e);
      this.phase = 'failed';
    }
  }

  /** Every live story by id. Reading it subscribes to every patch; it is never copied. */
  get stories(): ReadonlyMap<string, StoryView> {
    void this.version;
    return this.mirror.stories;
  }

  private apply(patch: BoardPatch): void {
    this.changed(this.mirror.apply(patch));
    if (this.mirror.assignees !== this.assignees) this.assignees = this.mirror.assignees;
    const meta = patch.meta;
    if (meta) {
      this.initialised = meta.initialised;
      this.settings = meta.settings;
      this.names = meta.names;
      this.issues = meta.issues;
    }
  }

  private changed(touched: Set<Stage>): void {
    this.version++;
    if (touched.size > 0) this.columns = this.mirror.columns;
  }

  /**
   * Sends a command whose outcome for one story the page can foresee (UI17):
   * `predicted` shows in the same task, before the worker answers; the
   * worker's patch that reflects the command replaces it, and a refusal puts
   * the worker's view back.
   */
  async commandPredicted(cmd: Command, predicted: StoryView): Promise<CommandResult> {
    const shown = this.client ? this.mirror.predict(predicted, this.client.commandsSent + 1) : null;
    if (!shown) return this.command(cmd);
    this.changed(shown.touched);
    const result = await this.command(cmd);
    const touched = this.mirror.settle(shown.prediction, result.ok && result.opId !== null);
    if (touched.size > 0) this.changed(touched);
    return result;
  }

  private onEvents(events: BoardEvent[]): void {
    this.events = [...events.slice().reverse(), ...this.events].slice(0, FEED_LIMIT);
  }

  /** Sends a command; a refusal is announced and returned (never thrown). */
  async command(cmd: Command): Promise<CommandResult> {
    if (!this.client) return { ok: false, code: 'not-open', message: 'the board is not open yet' };
    const result = await this.client.command(cmd);
    if (!result.ok) {
      this.lastError = result.message;
      this.announce(`Not done: ${result.message}`);
    }
    return result;
  }

  /** Forwards the browser's online state: offline drops peers, online meets them again. */
  setOnline(online: boolean): void {
    void this.client?.setOnline(online);
  }

  announce(message: string): void {
    // Re-announcing the same text needs a change for screen readers to speak it.
    this.announcement = this.announcement === message ? `${message}\u00a0` : message;
  }

  story(id: string): StoryView | undefined {
    return this.stories.get(id);
  }

  column(stage: Stage): readonly StoryView[] {
    return this.columns[stage];
  }

  get api(): ReplicaClient {
    if (!this.client) throw new Error('the board is not open yet');
    return this.client;
  }
}
