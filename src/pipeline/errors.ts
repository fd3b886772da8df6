// Misuse of a board command (PIPE6): an unknown story, an invalid value, a
// board that is not initialised. The UI shows `message`; `code` is stable.

export type CommandErrorCode = 'not-initialised' | 'unknown-story' | 'duplicate-id' | 'invalid' | 'too-large';

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(readonly code: CommandErrorCode, message: string) {
    super(message);
  }
}
