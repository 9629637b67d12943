import type { LogLine } from './logLine.ts';

/** A collapsible section: its header line and the last line it holds, as seqs. */
export interface LogSection {
  startSeq: number;
  /** The last seq of the section as far as the view knows (it grows while the log streams). */
  endSeq: number;
  title: string;
  /** From the header's time to its last line's time, in seconds; undefined when unknown. */
  durationSeconds?: number;
}

/**
 * Finds the sections of the loaded lines (seq order). A section runs from its header to the line
 * before the next header, to its `::endgroup::`, or to the last line loaded without a gap.
 * Sections do not nest: a header closes the previous section, as Buildkite's do.
 */
export function findSections(lines: ReadonlyMap<number, LogLine>, lastSeq: number): LogSection[] {
  const sections: LogSection[] = [];
  let open: { section: LogSection; startAt: number; lastAt: number } | undefined;
  const close = () => {
    if (!open) return;
    if (Number.isFinite(open.startAt) && Number.isFinite(open.lastAt))
      open.section.durationSeconds = Math.max(0, (open.lastAt - open.startAt) / 1000);
    sections.push(open.section);
    open = undefined;
  };
  for (let seq = 1; seq <= lastSeq; seq++) {
    const line = lines.get(seq);
    if (!line) {
      // An unloaded gap: the open section ends before it (its length is not known yet).
      close();
      continue;
    }
    if (line.marker?.kind === 'start') {
      close();
      open = { section: { startSeq: seq, endSeq: seq, title: line.marker.title }, startAt: line.at, lastAt: line.at };
    } else if (open) {
      open.section.endSeq = seq;
      open.lastAt = line.at;
      if (line.marker?.kind === 'end') close();
    }
  }
  close();
  return sections;
}

/**
 * The seqs to show as rows, in order: every seq from 1 to `lastSeq` (loaded or not) except the
 * bodies of folded sections, whose header rows stay.
 */
export function visibleSeqs(lastSeq: number, sections: readonly LogSection[], folded: ReadonlySet<number>): Int32Array {
  const hidden = sections.filter((section) => folded.has(section.startSeq) && section.endSeq > section.startSeq);
  let count = lastSeq;
  for (const section of hidden) count -= section.endSeq - section.startSeq;
  const rows = new Int32Array(Math.max(0, count));
  let row = 0;
  let next = 0;
  for (let seq = 1; seq <= lastSeq; seq++) {
    rows[row++] = seq;
    const section = hidden[next];
    if (section && section.startSeq === seq) {
      seq = section.endSeq;
      next++;
    }
  }
  return rows;
}

/** The row index showing `seq` (or the nearest row before it), by binary search over the rows. */
export function rowOfSeq(rows: Int32Array, seq: number): number {
  let low = 0;
  let high = rows.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (rows[middle] <= seq) low = middle;
    else high = middle - 1;
  }
  return Math.max(0, low);
}

/** The section whose body holds `seq` (not its header), if any. */
export function sectionHolding(sections: readonly LogSection[], seq: number): LogSection | undefined {
  return sections.find((section) => seq > section.startSeq && seq <= section.endSeq);
}

/** Whether two section lists are the same, so a recomputed list that did not change can keep its identity. */
export function sameSections(a: readonly LogSection[], b: readonly LogSection[]): boolean {
  if (a.length !== b.length) return false;
  return a.every(
    (section, index) =>
      section.startSeq === b[index].startSeq &&
      section.endSeq === b[index].endSeq &&
      section.title === b[index].title &&
      section.durationSeconds === b[index].durationSeconds,
  );
}
