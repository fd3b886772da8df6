// Where this tab's board comes from (docs/SPEC.md UI1, UI2): the room in
// the URL fragment (or a new one), the display name kept in localStorage,
// and the small browser helpers for downloads. No runes, no CRDT.
import { createRoom, formatRoomFragment, parseRoomLink, type RoomCredentials } from './replica-client.js';

export type RoomChoice =
  | { readonly kind: 'open'; readonly room: RoomCredentials; readonly create: boolean }
  | { readonly kind: 'bad-link'; readonly reason: string };

const REASONS: Record<string, string> = {
  'too-long': 'the link is too long',
  'missing-room': 'the link has no room id',
  'missing-key': 'the link has no room key',
  'bad-room': 'the room id is damaged',
  'bad-key': 'the room key is damaged',
};

/** UI1: a room link in the hash opens that room; no hash creates a room and writes its link. */
export function chooseRoom(): RoomChoice {
  const hash = location.hash.replace(/^#/, '');
  if (hash === '') {
    const room = createRoom();
    history.replaceState(null, '', `#${formatRoomFragment(room)}`);
    return { kind: 'open', room, create: true };
  }
  const parsed = parseRoomLink(`#${hash}`);
  if (!parsed.ok) return { kind: 'bad-link', reason: REASONS[parsed.reason] ?? parsed.reason };
  return { kind: 'open', room: parsed.room, create: false };
}

/** Replaces the current room with a new one (a full reload: one replica per tab). */
export function startNewRoom(): void {
  location.hash = formatRoomFragment(createRoom());
  location.reload();
}

/** The shareable link of the current room. */
export function roomLink(): string {
  return location.href;
}

const NAME_KEY = 'huskies-name';
const ANIMALS = ['Otter', 'Husky', 'Heron', 'Lynx', 'Badger', 'Puffin', 'Fox', 'Marten', 'Ibex', 'Wren'];

/** UI2: the stored display name, or null on a first visit. */
export function storedName(): string | null {
  try {
    const n = localStorage.getItem(NAME_KEY);
    return n && n.trim() !== '' ? n : null;
  } catch {
    return null;
  }
}

export function saveName(name: string): void {
  try { localStorage.setItem(NAME_KEY, name); } catch { /* private mode: the name lasts for this tab */ }
}

export function defaultName(): string {
  const i = crypto.getRandomValues(new Uint8Array(1))[0]! % ANIMALS.length;
  return `Anonymous ${ANIMALS[i]}`;
}

/** Downloads bytes or text as a file through a temporary object URL. */
export function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** True when a key event comes from a text field (global shortcuts stay out of the way). */
export function typingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}
