// Draws the app icons (public/icons/*.png) with no image library: a tiny
// rasteriser plus a PNG encoder on node:zlib. The PNGs are committed; rerun
// with `node --import tsx scripts/make-icons.ts` only to change the design.
// The picture is six board columns of cards, one per pipeline stage.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

type Rgba = readonly [number, number, number, number];

const BACKGROUND: Rgba = [0x1e, 0x3a, 0x8a, 255];
const CARD: Rgba = [0xf8, 0xfa, 0xfc, 255];
const ACCENT: Rgba = [0xfb, 0xbf, 0x24, 255];
/** Cards per column (backlog … archived), as fractions of the drawing height. */
const COLUMN_HEIGHTS = [0.9, 0.65, 0.5, 0.35, 0.75, 0.25];

interface Rect { x: number; y: number; w: number; h: number; r: number; colour: Rgba }

/** Coverage of a rounded rectangle at a point, used with 4×4 supersampling. */
function inside(rect: Rect, px: number, py: number): boolean {
  if (px < rect.x || py < rect.y || px > rect.x + rect.w || py > rect.y + rect.h) return false;
  const cx = Math.min(Math.max(px, rect.x + rect.r), rect.x + rect.w - rect.r);
  const cy = Math.min(Math.max(py, rect.y + rect.r), rect.y + rect.h - rect.r);
  return (px - cx) ** 2 + (py - cy) ** 2 <= rect.r ** 2;
}

/** Rectangles for one icon; `safe` is the fraction of the size the picture may use. */
function layout(size: number, maskable: boolean): Rect[] {
  const rects: Rect[] = [];
  // A maskable icon is full-bleed; the 'any' icon is a rounded tile.
  rects.push({ x: 0, y: 0, w: size, h: size, r: maskable ? 0 : size * 0.18, colour: BACKGROUND });
  // Maskable content stays inside the 80 % safe circle (W3C manifest, purpose=maskable).
  const area = size * (maskable ? 0.5 : 0.7);
  const left = (size - area) / 2;
  const top = (size - area) / 2;
  const gap = area * 0.04;
  const columnWidth = (area - gap * (COLUMN_HEIGHTS.length - 1)) / COLUMN_HEIGHTS.length;
  COLUMN_HEIGHTS.forEach((fraction, index) => {
    const x = left + index * (columnWidth + gap);
    rects.push({ x, y: top, w: columnWidth, h: area * fraction, r: columnWidth * 0.25, colour: CARD });
  });
  const first = rects[1]!;
  rects.push({ x: first.x, y: first.y, w: first.w, h: first.w, r: first.w * 0.25, colour: ACCENT });
  return rects;
}

function rasterise(size: number, maskable: boolean): Uint8Array {
  const rects = layout(size, maskable);
  const pixels = new Uint8Array(size * size * 4);
  const samples = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const px = x + (sx + 0.5) / samples;
          const py = y + (sy + 0.5) / samples;
          let colour: Rgba | undefined;
          for (const rect of rects) if (inside(rect, px, py)) colour = rect.colour;
          if (!colour) continue;
          r += colour[0]; g += colour[1]; b += colour[2]; a += colour[3];
        }
      }
      const n = samples * samples;
      const covered = a / 255;
      const offset = (y * size + x) * 4;
      // Straight (non-premultiplied) alpha, as PNG requires.
      pixels[offset] = covered ? Math.round(r / covered) : 0;
      pixels[offset + 1] = covered ? Math.round(g / covered) : 0;
      pixels[offset + 2] = covered ? Math.round(b / covered) : 0;
      pixels[offset + 3] = Math.round(a / n);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** PNG (RFC 2083): 8-bit RGBA, filter 0 on every row, one IDAT. */
export function encodePng(size: number, pixels: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    Buffer.from(pixels.buffer, y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

const ICONS = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  { file: 'maskable-512.png', size: 512, maskable: true },
  { file: 'apple-touch-icon-180.png', size: 180, maskable: true },
];

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');
mkdirSync(outDir, { recursive: true });
for (const icon of ICONS) {
  writeFileSync(join(outDir, icon.file), encodePng(icon.size, rasterise(icon.size, icon.maskable)));
  console.log(`wrote public/icons/${icon.file}`);
}
