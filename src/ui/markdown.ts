// A tiny, safe markdown renderer for story descriptions written by peers
// (docs/SPEC.md UI7). It parses a small subset — paragraphs, headings,
// bold/italic, inline and fenced code, lists, links — into plain data, then
// builds DOM nodes with createElement/createTextNode. Peer text is never
// parsed as HTML ({@html} is not used), links are absolute http(s) only,
// so no script, handler or javascript: URL from a peer can ever run.

export type Inline =
  | { readonly t: 'text'; readonly v: string }
  | { readonly t: 'code'; readonly v: string }
  | { readonly t: 'strong' | 'em'; readonly c: Inline[] }
  | { readonly t: 'link'; readonly href: string; readonly c: Inline[] };

export type Block =
  | { readonly t: 'p'; readonly c: Inline[] }
  | { readonly t: 'h'; readonly level: number; readonly c: Inline[] }
  | { readonly t: 'ul' | 'ol'; readonly items: Inline[][] }
  | { readonly t: 'pre'; readonly v: string };

/** Longest description rendered as markdown; anything longer is shown as plain text. */
export const MAX_MARKDOWN_CHARS = 50_000;
const MAX_DEPTH = 4;

/** An absolute http(s) URL, normalised; null for anything else (javascript:, data:, relative…). */
export function safeHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

/** Inline spans of one line or paragraph; depth-bounded, linear per level. */
export function parseInline(src: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  let buf = '';
  const flush = () => { if (buf !== '') { out.push({ t: 'text', v: buf }); buf = ''; } };
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '`') {
      const j = src.indexOf('`', i + 1);
      if (j > i) { flush(); out.push({ t: 'code', v: src.slice(i + 1, j) }); i = j + 1; continue; }
    } else if (depth < MAX_DEPTH && src.startsWith('**', i)) {
      const j = src.indexOf('**', i + 2);
      if (j > i + 2) { flush(); out.push({ t: 'strong', c: parseInline(src.slice(i + 2, j), depth + 1) }); i = j + 2; continue; }
    } else if (depth < MAX_DEPTH && (ch === '*' || ch === '_')) {
      const j = src.indexOf(ch, i + 1);
      if (j > i + 1) { flush(); out.push({ t: 'em', c: parseInline(src.slice(i + 1, j), depth + 1) }); i = j + 1; continue; }
    } else if (depth < MAX_DEPTH && ch === '[') {
      const mid = src.indexOf('](', i + 1);
      const end = mid === -1 ? -1 : src.indexOf(')', mid + 2);
      if (mid !== -1 && end !== -1) {
        flush();
        const label = parseInline(src.slice(i + 1, mid), depth + 1);
        const href = safeHref(src.slice(mid + 2, end));
        // An unsafe link keeps its label as text and drops the target.
        if (href === null) out.push(...label);
        else out.push({ t: 'link', href, c: label });
        i = end + 1;
        continue;
      }
    }
    buf += ch;
    i++;
  }
  flush();
  return out;
}

/** Blocks of a markdown document (the subset above). */
export function parseMarkdown(src: string): Block[] {
  if (src.length > MAX_MARKDOWN_CHARS) return [{ t: 'pre', v: src }];
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const out: Block[] = [];
  let para: string[] = [];
  let list: { t: 'ul' | 'ol'; items: Inline[][] } | null = null;
  const endPara = () => { if (para.length > 0) { out.push({ t: 'p', c: parseInline(para.join(' ')) }); para = []; } };
  const endList = () => { if (list) { out.push(list); list = null; } };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trimStart().startsWith('```')) {
      endPara(); endList();
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trimStart().startsWith('```')) body.push(lines[i++]!);
      out.push({ t: 'pre', v: body.join('\n') });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d{1,9}[.)]\s+(.*)$/.exec(line);
    if (heading) { endPara(); endList(); out.push({ t: 'h', level: heading[1]!.length, c: parseInline(heading[2]!) }); }
    else if (bullet || numbered) {
      endPara();
      const t = bullet ? 'ul' : 'ol';
      if (list && list.t !== t) endList();
      list ??= { t, items: [] };
      list.items.push(parseInline((bullet ?? numbered)![1]!));
    } else if (line.trim() === '') { endPara(); endList(); }
    else { endList(); para.push(line.trim()); }
  }
  endPara(); endList();
  return out;
}

function inlineNodes(doc: Document, spans: readonly Inline[], into: Node): void {
  for (const s of spans) {
    if (s.t === 'text') into.appendChild(doc.createTextNode(s.v));
    else if (s.t === 'code') { const el = doc.createElement('code'); el.textContent = s.v; into.appendChild(el); }
    else if (s.t === 'link') {
      const a = doc.createElement('a');
      a.href = s.href;
      a.rel = 'noopener noreferrer nofollow';
      a.target = '_blank';
      inlineNodes(doc, s.c, a);
      into.appendChild(a);
    } else {
      const el = doc.createElement(s.t);
      inlineNodes(doc, s.c, el);
      into.appendChild(el);
    }
  }
}

/** DOM nodes for a markdown text: elements and text nodes only. */
export function renderMarkdown(doc: Document, src: string): DocumentFragment {
  const frag = doc.createDocumentFragment();
  for (const b of parseMarkdown(src)) {
    if (b.t === 'pre') {
      const pre = doc.createElement('pre');
      const code = doc.createElement('code');
      code.textContent = b.v;
      pre.appendChild(code);
      frag.appendChild(pre);
    } else if (b.t === 'p') {
      const el = doc.createElement('p');
      inlineNodes(doc, b.c, el);
      frag.appendChild(el);
    } else if (b.t === 'h') {
      // Headings inside a story start at h4 so they never outrank the page's own.
      const el = doc.createElement(`h${Math.min(6, b.level + 3)}`);
      inlineNodes(doc, b.c, el);
      frag.appendChild(el);
    } else {
      const list = doc.createElement(b.t);
      for (const item of b.items) { const li = doc.createElement('li'); inlineNodes(doc, item, li); list.appendChild(li); }
      frag.appendChild(list);
    }
  }
  return frag;
}

/** Svelte action: `<div use:markdown={text}>` renders `text` into the element. */
export function markdown(node: HTMLElement, text: string): { update(next: string): void } {
  const render = (t: string) => node.replaceChildren(renderMarkdown(node.ownerDocument, t));
  render(text);
  return { update: render };
}
