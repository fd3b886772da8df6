// Board commands as data (PIPE6): what the UI sends to the worker and what
// the rules produce, with one function that turns any of them into the
// actions of one op.
import type { Document, LocalAction } from '../core/index.js';
import {
  archiveStory, blockStory, createStory, editStory, initBoard, moveStory, purgeStory, recordRetry,
  reorderStory, setDisplayName, setSetting, unblockStory,
  type CommandContext, type CreateStoryInput, type StoryPatch,
} from './commands.js';
import type { ArchiveReason, Stage } from './layout.js';
import { automationActions, type Automation } from './rules.js';
import type { Settings } from './view.js';

export type Command =
  | { readonly type: 'init' }
  | { readonly type: 'create'; readonly input: CreateStoryInput }
  | { readonly type: 'edit'; readonly storyId: string; readonly patch: StoryPatch }
  | { readonly type: 'move'; readonly storyId: string; readonly stage: Stage; readonly rank?: string }
  | { readonly type: 'reorder'; readonly storyId: string; readonly rank: string }
  | { readonly type: 'block'; readonly storyId: string; readonly reason: string }
  | { readonly type: 'unblock'; readonly storyId: string }
  | { readonly type: 'retry'; readonly storyId: string }
  | { readonly type: 'archive'; readonly storyId: string; readonly reason: ArchiveReason }
  | { readonly type: 'purge'; readonly storyId: string }
  | { readonly type: 'set-setting'; readonly key: keyof Settings; readonly value: Settings[keyof Settings] }
  | { readonly type: 'set-name'; readonly name: string }
  | Automation;

/** The actions of one command ([] = nothing to do). `settings` is needed for automatic commands. */
export function commandActions(doc: Document, ctx: CommandContext, cmd: Command, settings?: Settings): LocalAction[] {
  switch (cmd.type) {
    case 'init': return initBoard(doc, ctx);
    case 'create': return createStory(doc, ctx, cmd.input);
    case 'edit': return editStory(doc, ctx, cmd.storyId, cmd.patch);
    case 'move': return moveStory(doc, ctx, cmd.storyId, cmd.stage, cmd.rank);
    case 'reorder': return reorderStory(doc, ctx, cmd.storyId, cmd.rank);
    case 'block': return blockStory(doc, ctx, cmd.storyId, cmd.reason);
    case 'unblock': return unblockStory(doc, ctx, cmd.storyId);
    case 'retry': return recordRetry(doc, ctx, cmd.storyId);
    case 'archive': return archiveStory(doc, ctx, cmd.storyId, cmd.reason);
    case 'purge': return purgeStory(doc, ctx, cmd.storyId);
    case 'set-setting': return setSetting(doc, ctx, cmd.key, cmd.value as never);
    case 'set-name': return setDisplayName(doc, ctx, cmd.name);
    case 'auto': {
      if (settings === undefined) throw new TypeError('automatic commands need the board settings');
      return automationActions(doc, cmd, settings, ctx.now);
    }
  }
}

