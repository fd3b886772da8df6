// The pipeline's public surface (DESIGN §3): the board domain on top of the
// core document. Pure: imports only src/core.
export * from './layout.js';
export * from './errors.js';
export * from './rank.js';
export { SCHEMA_LIMITS, STORY_FIELDS, checkSet, isStoryId, isAuthorHex, validateOpForBoard } from './schema.js';
export type { CriterionView, StoryFields } from './story-read.js';
export * from './view.js';
export * from './commands.js';
export * from './dispatch.js';
export { readBoard } from './board.js';
export { BoardIndex, cachedBoard, BOARD_CACHE_FORMAT, type CachedBoard } from './board-index.js';
export * from './events.js';
export * from './rules.js';
export { findStory } from './story-lookup.js';
