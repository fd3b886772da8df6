// The derived board view's types (PIPE16): what the UI renders and what
// events are computed from. Plain data, safe to structured-clone.
import type { ObjId } from '../core/index.js';
import type { Stage } from './layout.js';
import type { StoryFields } from './story-read.js';

export type DepStatus = 'met' | 'waiting' | 'archived-not-completed' | 'unknown' | 'purged' | 'cycle';

/** One dependency of a story as shown (PIPE17). */
export interface DepView {
  readonly id: string;
  readonly status: DepStatus;
  /** The dependency's title, when it is a live story. */
  readonly title?: string;
  /** Why an archived dependency does not count as met (its archive reason). */
  readonly reason?: string;
}

/** PIPE18: a story is ready when it is in backlog and every dependency is met. */
export function isReady(stage: Stage, deps: readonly DepView[]): boolean {
  return stage === 'backlog' && deps.every((d) => d.status === 'met');
}

export interface StoryView extends StoryFields {
  /** The story's element (and map) id in the core document. */
  readonly elem: ObjId;
  /** The stories list holding the element. */
  readonly list: ObjId;
  /** In backlog with every dependency met (PIPE18). */
  readonly ready: boolean;
  readonly deps: readonly DepView[];
  /** Fields that held invalid values and were read as defaults, duplicate ids… (PIPE10, PIPE9). */
  readonly issues: readonly string[];
}

export interface Settings {
  readonly autoPromote: boolean;
  readonly archiveAfterMs: number;
  readonly retryLimit: number;
}

export const DEFAULT_SETTINGS: Settings = { autoPromote: false, archiveAfterMs: 4 * 60 * 60 * 1000, retryLimit: 3 };

export interface BoardView {
  /** Whether a stories list exists (the board was initialised). */
  readonly initialised: boolean;
  /** Live stories, column by column in stage order, each column by (rank, id). */
  readonly stories: readonly StoryView[];
  readonly byStage: Readonly<Record<Stage, readonly StoryView[]>>;
  readonly settings: Settings;
  /** author hex → display name. */
  readonly names: Readonly<Record<string, string>>;
  /** Ids of purged stories (no live story carries them), sorted. */
  readonly purgedIds: readonly string[];
  /** Board-level problems: stories without a valid id, duplicate ids. */
  readonly issues: readonly string[];
}

/** The board-level part of a view: everything but the stories. */
export type BoardMeta = Omit<BoardView, 'stories' | 'byStage'>;
