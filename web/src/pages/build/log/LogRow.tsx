import { memo, useMemo, type MouseEvent, type ReactNode } from 'react';
import { formatDuration } from '../../../lib/format.ts';
import { styledRuns, type LogLine, type StyledRun } from './logLine.ts';
import type { LogSection } from './logSections.ts';
import classes from './LogView.module.css';

export interface LogRowProps {
  seq: number;
  /** Undefined while the line is not loaded. */
  line?: LogLine;
  /** Pixels from the top of the list. */
  top: number;
  showTimestamps: boolean;
  selected: boolean;
  /** The current search match. */
  match: boolean;
  /** The search query, marked in the text (case-insensitively). */
  query: string;
  /** The section this row is the header of. */
  section?: LogSection;
  folded: boolean;
  onNumberClick(seq: number, event: MouseEvent<HTMLAnchorElement>): void;
  onToggle(seq: number): void;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const levelClass: Record<string, string | undefined> = { ERROR: classes.error, WARN: classes.warn, DEBUG: classes.debug };

/** One line of the log: its number (a link to it), time, and text as styled spans. */
export const LogRow = memo(function LogRow(props: LogRowProps) {
  const { seq, line, top, showTimestamps, selected, match, query, section, folded } = props;
  const className = [classes.row, selected && classes.selected, match && classes.match].filter(Boolean).join(' ');
  return (
    <div className={className} style={{ transform: `translateY(${top}px)` }} data-seq={seq} data-selected={selected || undefined}>
      <a className={classes.number} href={`#L${seq}`} onClick={(event) => props.onNumberClick(seq, event)} aria-label={`Line ${seq}`}>
        {seq}
      </a>
      {showTimestamps && <span className={classes.time}>{line ? timeFormat.format(line.at) : ''}</span>}
      {line ? (
        section ? (
          <button type="button" className={classes.toggle} aria-expanded={!folded} onClick={() => props.onToggle(seq)}>
            <span className={classes.chevron} aria-hidden>
              ▾
            </span>
            <LineText text={section.title} query={query} />
            {section.durationSeconds !== undefined && <span className={classes.duration}>{formatDuration(section.durationSeconds)}</span>}
            {folded && <span className={classes.duration}>{section.endSeq - section.startSeq} lines</span>}
          </button>
        ) : (
          <span className={[classes.text, levelClass[line.level]].filter(Boolean).join(' ')}>
            <LineText text={line.text} query={query} />
          </span>
        )
      ) : (
        <span className={classes.placeholder} data-placeholder>
          …
        </span>
      )}
    </div>
  );
});

/** The text with its ANSI styles as spans, and the search query marked. */
function LineText({ text, query }: { text: string; query: string }) {
  const runs = useMemo(() => styledRuns(text), [text]);
  return (
    <>
      {runs.map((run, index) => (
        <Run key={index} run={run} query={query} />
      ))}
    </>
  );
}

function Run({ run, query }: { run: StyledRun; query: string }) {
  const style =
    run.color || run.background || run.bold || run.dim || run.italic || run.underline || run.strikethrough
      ? {
          color: run.color,
          backgroundColor: run.background,
          fontWeight: run.bold ? 700 : undefined,
          opacity: run.dim ? 0.7 : undefined,
          fontStyle: run.italic ? 'italic' : undefined,
          textDecoration: [run.underline && 'underline', run.strikethrough && 'line-through'].filter(Boolean).join(' ') || undefined,
        }
      : undefined;
  const content = query ? marked(run.text, query) : run.text;
  return style ? <span style={style}>{content}</span> : <>{content}</>;
}

/** `text` with each case-insensitive occurrence of `query` in a <mark>. */
function marked(text: string, query: string): ReactNode {
  const haystack = text.toLowerCase();
  const needle = query.toLowerCase();
  // Lower-casing changed a length (a few Unicode letters): offsets would not line up, so mark nothing.
  if (haystack.length !== text.length || needle.length !== query.length || !haystack.includes(needle)) return text;
  const parts: ReactNode[] = [];
  let from = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, from)) {
    if (at > from) parts.push(text.slice(from, at));
    parts.push(
      <mark key={at} className={classes.mark}>
        {text.slice(at, at + needle.length)}
      </mark>,
    );
    from = at + needle.length;
  }
  if (from < text.length) parts.push(text.slice(from));
  return parts;
}
