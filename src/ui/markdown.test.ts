// The safe markdown subset as data (docs/SPEC.md UI7): no HTML is ever
// parsed and only absolute http(s) links survive.
import { describe, expect, test } from 'vitest';
import { parseInline, parseMarkdown, safeHref } from './markdown.js';

describe('markdown', () => {
  test('[UI7] only absolute http(s) links are kept', () => {
    expect(safeHref('https://example.com/a')).toBe('https://example.com/a');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref(' JaVaScRiPt:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,<script>')).toBeNull();
    expect(safeHref('/relative')).toBeNull();
    expect(parseInline('[x](javascript:alert(1))').some((s) => s.t === 'link')).toBe(false);
    expect(parseInline('[x](javascript:void)')).toEqual([{ t: 'text', v: 'x' }]);
  });

  test('[UI7] HTML stays text; the subset parses into blocks', () => {
    expect(parseMarkdown('<img src=x onerror=alert(1)>')).toEqual([{ t: 'p', c: [{ t: 'text', v: '<img src=x onerror=alert(1)>' }] }]);
    const blocks = parseMarkdown('# Title\n\nSome **bold** and *it* `code`\n\n- a\n- b\n\n1. one\n\n```\n<b>raw</b>\n```');
    expect(blocks.map((b) => b.t)).toEqual(['h', 'p', 'ul', 'ol', 'pre']);
    expect(blocks[4]).toEqual({ t: 'pre', v: '<b>raw</b>' });
  });

  test('[UI7] nesting is bounded', () => {
    const deep = '**'.repeat(200) + 'x' + '**'.repeat(200);
    expect(() => parseMarkdown(deep)).not.toThrow();
  });
});
