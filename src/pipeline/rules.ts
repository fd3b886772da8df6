// The automatic pipeline rules (PIPE21–PIPE24), pure and clock-injected:
// which automatic commands are due on a view at `now`, and the actions they
// write. Several replicas may run the same rule at once, so an automatic
// command writes only values that do not depend on who runs it or when —
// no updatedBy/updatedAt, no new rank — and concurrent identical writes
// converge under LWW to the same field values (PIPE24).
import type { Document, LocalAction } from '../core/index.js';
import { findStory } from './story-lookup.js';
import type { BoardView, Settings } from './view.js';

export type AutomationRule = 'promote' | 'archive-done' | 'retry-limit';

export interface Automation {
  readonly type: 'auto';
  readonly rule: AutomationRule;
  readonly storyId: string;
}

/** Whether `rule` is due on a story with these fields at `now`. */
function due(rule: AutomationRule, s: BoardView['stories'][number], settings: Settings, now: number): boolean {
  switch (rule) {
    case 'retry-limit': return !s.blocked && s.retries > settings.retryLimit && s.stage !== 'archived';
    case 'archive-done': {
      const since = s.doneAt ?? s.updatedAt;
      return s.stage === 'done' && now >= since + settings.archiveAfterMs;
    }
    case 'promote': return settings.autoPromote && s.ready && !s.blocked;
  }
}

const RULES: readonly AutomationRule[] = ['retry-limit', 'archive-done', 'promote'];

/** The automatic commands due now, in a deterministic order (PIPE21–PIPE23). */
export function dueAutomations(view: BoardView, now: number, settings: Settings = view.settings): Automation[] {
  return dueFor(view.stories, now, settings);
}

/** The automatic commands due now for some stories (e.g. only those an edit touched). */
export function dueFor(stories: Iterable<BoardView['stories'][number]>, now: number, settings: Settings): Automation[] {
  const out: Automation[] = [];
  for (const s of stories) {
    for (const rule of RULES) if (due(rule, s, settings, now)) out.push({ type: 'auto', rule, storyId: s.id });
  }
  return out;
}

/**
 * The actions of an automatic command, re-checked against the document (the
 * story may have moved since the view was taken): [] when no longer due.
 */
export function automationActions(doc: Document, cmd: Automation, settings: Settings, now: number): LocalAction[] {
  const s = findStory(doc.state, cmd.storyId);
  if (s === undefined) return [];
  const f = s.fields;
  const set = (key: string, value: string | boolean): LocalAction => ({ type: 'set', obj: s.elem, key, value });
  switch (cmd.rule) {
    case 'retry-limit':
      return !f.blocked && f.retries > settings.retryLimit && f.stage !== 'archived'
        ? [set('blocked', true), set('blockedReason', 'retry limit')] : [];
    case 'archive-done':
      return f.stage === 'done' && now >= (f.doneAt ?? f.updatedAt) + settings.archiveAfterMs
        ? [set('stage', 'archived'), set('archiveReason', 'completed')] : [];
    case 'promote':
      // Readiness needs the dependency graph: trust the view that made the command, re-check the stage only.
      return settings.autoPromote && f.stage === 'backlog' && !f.blocked ? [set('stage', 'current')] : [];
  }
}
