import Anser from 'anser';

/** One stored log line as the view keeps it (component state, not the GraphQL cache). */
export interface LogLine {
  seq: number;
  /** When the worker logged it, in ms since the epoch. */
  at: number;
  level: string;
  /** The text to show: for a raw `\r` in the stored text, only what follows the last one. */
  text: string;
  /** Set when the line opens or closes a collapsible section. */
  marker?: SectionMarker;
}

/** A section boundary: Buildkite's `--- `/`+++ `/`~~~ ` headers, GitHub's `::group::`/`::endgroup::`. */
export type SectionMarker = { kind: 'start'; title: string } | { kind: 'end' };

/** The stored line as the API gives it. */
export interface StoredLine {
  seq: number;
  at: string;
  level: string;
  message: string;
}

// Escape sequences are removed before looking for a header, so a coloured `--- ` still opens one.
const ESCAPES = /\u001b\[[0-9;?]*[A-Za-z]/g;
const BUILDKITE_HEADER = /^(?:---|\+\+\+|~~~) (.*)$/;
const GITHUB_GROUP = /^::group::(.*)$/;
const GITHUB_END = /^::endgroup::\s*$/;

/**
 * What a terminal would show for `message`: agents render `\r` already, but a stored line may
 * still hold one (progress bars), and then only the text after the last `\r` is what stayed.
 */
export function visibleText(message: string): string {
  const trimmed = message.endsWith('\r') ? message.slice(0, -1) : message;
  const cut = trimmed.lastIndexOf('\r');
  return cut === -1 ? trimmed : trimmed.slice(cut + 1);
}

/** The section boundary `text` marks, if any. */
export function sectionMarker(text: string): SectionMarker | undefined {
  if (!text.includes('--- ') && !text.includes('+++ ') && !text.includes('~~~ ') && !text.includes('::')) return undefined;
  const plain = text.replace(ESCAPES, '');
  const header = BUILDKITE_HEADER.exec(plain) ?? GITHUB_GROUP.exec(plain);
  if (header) return { kind: 'start', title: header[1].trim() || 'Section' };
  if (GITHUB_END.test(plain)) return { kind: 'end' };
  return undefined;
}

/** Turns an API line into the view's line (parses its time, strips `\r`, finds section markers). */
export function toLogLine(stored: StoredLine): LogLine {
  const text = visibleText(stored.message);
  const line: LogLine = { seq: stored.seq, at: Date.parse(stored.at), level: stored.level, text };
  const marker = sectionMarker(text);
  if (marker) line.marker = marker;
  return line;
}

/** A run of text with one style, ready to render as a span (never as HTML). */
export interface StyledRun {
  text: string;
  color?: string;
  background?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  strikethrough?: boolean;
}

// The 16 ANSI colours, chosen to read on the view's dark background (WCAG AA for normal text).
const PALETTE: Record<string, string> = {
  black: '#8b949e',
  red: '#ff7b72',
  green: '#56d364',
  yellow: '#e3b341',
  blue: '#79c0ff',
  magenta: '#d2a8ff',
  cyan: '#76e3ea',
  white: '#e6edf3',
  'bright-black': '#a5aeb8',
  'bright-red': '#ffa198',
  'bright-green': '#7ee787',
  'bright-yellow': '#f2cc60',
  'bright-blue': '#a5d6ff',
  'bright-magenta': '#e2c5ff',
  'bright-cyan': '#b3f0ff',
  'bright-white': '#ffffff',
};
const CUBE_LEVELS = [0, 95, 135, 175, 215, 255];

/** The CSS colour of an xterm 256-colour palette index. */
function paletteColor(index: number): string {
  if (index < 16) return Object.values(PALETTE)[index];
  if (index >= 232) {
    const grey = 8 + (index - 232) * 10;
    return `rgb(${grey}, ${grey}, ${grey})`;
  }
  const cube = index - 16;
  return `rgb(${CUBE_LEVELS[Math.floor(cube / 36)]}, ${CUBE_LEVELS[Math.floor(cube / 6) % 6]}, ${CUBE_LEVELS[cube % 6]})`;
}

/** The CSS colour for anser's class name (`ansi-red`, `ansi-palette-208`, `ansi-truecolor`). */
function cssColor(name: string | null, truecolor: string | null): string | undefined {
  if (!name) return undefined;
  if (name === 'ansi-truecolor') return truecolor ? `rgb(${truecolor})` : undefined;
  const palette = /^ansi-palette-(\d+)$/.exec(name);
  if (palette) return paletteColor(Number(palette[1]));
  return PALETTE[name.slice('ansi-'.length)];
}

/** Splits `text` at its ANSI SGR escapes into styled runs (other escapes are dropped). */
export function styledRuns(text: string): StyledRun[] {
  if (!text.includes('\u001b')) return [{ text }];
  return Anser.ansiToJson(text, { json: true, use_classes: true, remove_empty: true }).map((entry) => {
    const decorations = new Set(entry.decorations);
    let color = cssColor(entry.fg, entry.fg_truecolor);
    let background = cssColor(entry.bg, entry.bg_truecolor);
    if (decorations.has('reverse')) [color, background] = [background ?? '#0d1117', color ?? '#e6edf3'];
    return {
      text: entry.content,
      color,
      background,
      bold: decorations.has('bold'),
      dim: decorations.has('dim'),
      italic: decorations.has('italic'),
      underline: decorations.has('underline'),
      strikethrough: decorations.has('strikethrough'),
    };
  });
}
