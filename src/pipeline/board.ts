// The derived board view (PIPE16): `readBoard(doc)` reads the whole board
// once. For a live replica, keep a BoardIndex and feed it applied ops.
import type { Document } from '../core/index.js';
import { BoardIndex } from './board-index.js';
import type { BoardView } from './view.js';

export type { BoardView, StoryView, DepView, DepStatus, Settings } from './view.js';
export { DEFAULT_SETTINGS } from './view.js';
export { BoardIndex } from './board-index.js';

/** The whole board as a view: live stories by column, settings, names, purged ids. Never throws. */
export function readBoard(doc: Document): BoardView {
  return new BoardIndex(doc).view;
}
