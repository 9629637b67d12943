import { ActionIcon, Button, Group, Loader, Stack, Switch, Tabs, Text, Tooltip } from '@mantine/core';
import { useLocalStorage } from '@mantine/hooks';
import { useLocation, useNavigate } from '@tanstack/react-router';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties, type MouseEvent } from 'react';
import { useClient } from 'urql';
import { EmptyState } from '../../../components/EmptyState.tsx';
import { ErrorState } from '../../../components/ErrorState.tsx';
import { Loading } from '../../../components/Loading.tsx';
import { SearchField } from '../../../components/SearchField.tsx';
import { downloadLog } from './downloadLog.ts';
import { formatLogLink, parseLogLink, type LogLink } from './logHash.ts';
import { LogRow } from './LogRow.tsx';
import { findSections, rowOfSeq, sameSections, sectionHolding, visibleSeqs, type LogSection } from './logSections.ts';
import classes from './LogView.module.css';
import { useLogLines } from './useLogLines.ts';
import { useLogSearch } from './useLogSearch.ts';

/** Rows are one line high (no wrapping), so 100,000 rows scroll without measuring. */
const ROW_HEIGHT = 20;
const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export interface LogViewProps {
  buildId: string;
  /** How many attempts the build has had (its `attempt`); 0 before its first claim. */
  attempts: number;
  /** The build's status: the log is followed live until it finishes. */
  status: string;
}

/**
 * A build's log: one tab per attempt, following the tail live, with ANSI colours, collapsible
 * sections, line links (`#L120-L140`, `#attempt-2/L5`), server-side search, download and full screen.
 */
export function LogView({ buildId, attempts, status }: LogViewProps) {
  const hash = useLocation({ select: (location) => location.hash });
  const navigate = useNavigate();
  const link = useMemo(() => parseLogLink(hash), [hash]);
  const latest = Math.max(1, attempts);
  const attempt = link.attempt && link.attempt <= latest ? link.attempt : latest;

  const setLink = useCallback(
    (next: LogLink) => {
      void navigate({
        to: '.',
        search: true,
        params: true,
        hash: formatLogLink(next, latest),
        replace: true,
        resetScroll: false,
        hashScrollIntoView: false,
      });
    },
    [navigate, latest],
  );

  if (attempts === 0 && status === 'PENDING') {
    return <EmptyState title="No log yet" description="The log starts when a worker picks up the build." />;
  }
  return (
    <Stack gap="xs">
      {latest > 1 && (
        <Tabs value={String(attempt)} onChange={(value) => value && setLink({ attempt: Number(value) })}>
          <Tabs.List aria-label="Attempts">
            {Array.from({ length: latest }, (_, index) => index + 1).map((number) => (
              <Tabs.Tab key={number} value={String(number)}>
                Attempt {number}
                {number === latest ? ' (latest)' : ''}
              </Tabs.Tab>
            ))}
          </Tabs.List>
        </Tabs>
      )}
      <AttemptLog
        key={`${buildId}:${attempt}`}
        buildId={buildId}
        attempt={attempt}
        live={attempt === latest && !FINISHED.has(status)}
        link={link}
        setLink={setLink}
      />
    </Stack>
  );
}

interface AttemptLogProps {
  buildId: string;
  attempt: number;
  live: boolean;
  link: LogLink;
  setLink(link: LogLink): void;
}

/** The log of one attempt: toolbar and virtualised lines. */
function AttemptLog({ buildId, attempt, live, link, setLink }: AttemptLogProps) {
  const client = useClient();
  const log = useLogLines(buildId, attempt, live);
  const [showTimestamps, setShowTimestamps] = useLocalStorage({ key: 'free-agent.log.timestamps', defaultValue: false });
  const [fullScreen, setFullScreen] = useState(false);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<Error>();
  const [folded, setFolded] = useState<ReadonlySet<number>>(() => new Set());
  const scrollRef = useRef<HTMLDivElement>(null);
  const frameRef = useRef<HTMLDivElement>(null);

  // The same list while it does not change, so the rows (and the virtualizer's 100,000 measurements) are not rebuilt.
  const previousSections = useRef<LogSection[]>([]);
  const sections = useMemo(() => {
    const found = findSections(log.lines, log.lastSeq);
    if (sameSections(found, previousSections.current)) return previousSections.current;
    return (previousSections.current = found);
  }, [log.version]); // eslint-disable-line react-hooks/exhaustive-deps
  const sectionByStart = useMemo(() => new Map(sections.map((section) => [section.startSeq, section])), [sections]);
  const rows = useMemo(() => visibleSeqs(log.lastSeq, sections, folded), [log.lastSeq, sections, folded]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (index) => rows[index],
    overscan: 30,
    anchorTo: 'end',
    followOnAppend: true,
  });

  /** Unfolds the section holding `seq` and scrolls its row into view. */
  const pendingJump = useRef<{ seq: number; align: 'start' | 'center' }>(undefined);
  const jumpTo = useCallback(
    (seq: number, align: 'start' | 'center' = 'center') => {
      const holder = sectionHolding(sections, seq);
      if (holder && folded.has(holder.startSeq)) {
        setFolded((previous) => {
          const next = new Set(previous);
          next.delete(holder.startSeq);
          return next;
        });
      }
      // Scrolled after the rows are recomputed (the unfold above changes them).
      pendingJump.current = { seq, align };
      setJumpVersion((version) => version + 1);
    },
    [sections, folded],
  );
  const [jumpVersion, setJumpVersion] = useState(0);
  useEffect(() => {
    const jump = pendingJump.current;
    if (!jump || rows.length === 0 || jump.seq > log.lastSeq) return;
    pendingJump.current = undefined;
    virtualizer.scrollToIndex(rowOfSeq(rows, jump.seq), { align: jump.align });
  }, [jumpVersion, rows, log.lastSeq, virtualizer]);

  // First view: the linked lines, or the tail.
  const opened = useRef(false);
  useEffect(() => {
    if (opened.current || !log.ready || rows.length === 0) return;
    opened.current = true;
    if (link.range) jumpTo(link.range.from, 'start');
    else virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [log.ready, rows.length, link.range, jumpTo, virtualizer]);

  // Load what is on screen (and a little around it) when it is missing.
  const items = virtualizer.getVirtualItems();
  const firstSeq = items.length > 0 ? rows[items[0].index] : 0;
  const lastSeq = items.length > 0 ? rows[items[items.length - 1].index] : 0;
  useEffect(() => {
    if (log.ready && firstSeq > 0) log.ensureLoaded(firstSeq, lastSeq);
  }, [log, firstSeq, lastSeq]);

  const search = useLogSearch(buildId, attempt, jumpTo);

  const anchor = useRef<number>(undefined);
  const onNumberClick = useCallback(
    (seq: number, event: MouseEvent<HTMLAnchorElement>) => {
      event.preventDefault();
      // A range linked to (not clicked) extends from its first line.
      const from = anchor.current ?? link.range?.from;
      if (event.shiftKey && from !== undefined) {
        setLink({ attempt, range: { from: Math.min(from, seq), to: Math.max(from, seq) } });
      } else {
        anchor.current = seq;
        setLink({ attempt, range: { from: seq, to: seq } });
      }
    },
    [attempt, setLink, link.range?.from],
  );
  const onToggle = useCallback((seq: number) => {
    setFolded((previous) => {
      const next = new Set(previous);
      if (next.has(seq)) next.delete(seq);
      else next.add(seq);
      return next;
    });
  }, []);

  const toggleFullScreen = useCallback(() => {
    setFullScreen((on) => {
      const next = !on;
      // The browser's full screen when it allows it; the fixed overlay works either way.
      if (next) frameRef.current?.requestFullscreen?.().catch(() => undefined);
      else if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
      return next;
    });
  }, []);
  useEffect(() => {
    if (!fullScreen) return;
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && setFullScreen(false);
    const onChange = () => !document.fullscreenElement && setFullScreen(false);
    window.addEventListener('keydown', onKey);
    document.addEventListener('fullscreenchange', onChange);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('fullscreenchange', onChange);
    };
  }, [fullScreen]);

  const download = async () => {
    setDownloading(true);
    setDownloadError(undefined);
    try {
      await downloadLog(client, buildId, attempt);
    } catch (error) {
      setDownloadError(error as Error);
    } finally {
      setDownloading(false);
    }
  };

  const atEnd = rows.length === 0 || virtualizer.isAtEnd(ROW_HEIGHT);
  const range = link.range;
  const matchSeq = search.current?.seq;

  let body;
  if (!log.ready) body = <Loading label="Loading the log…" variant="rows" />;
  else if (log.error && log.lastSeq === 0) body = <ErrorState error={log.error} title="Could not load the log" onRetry={log.retry} />;
  else if (log.lastSeq === 0)
    body = (
      <EmptyState
        title={live ? 'Waiting for output' : 'No output'}
        description={live ? 'Lines appear here as the worker logs them.' : `Attempt ${attempt} logged nothing.`}
      />
    );

  return (
    <div ref={frameRef} className={fullScreen ? `${classes.frame} ${classes.fullScreen}` : undefined} data-testid="build-log">
      <Group gap="xs" wrap="wrap" mb="xs" p={fullScreen ? 'xs' : 0} bg={fullScreen ? 'var(--mantine-color-body)' : undefined}>
        <Group gap="xs" wrap="nowrap" style={{ flex: '1 1 20rem' }}>
          <SearchField
            label="Search the log"
            value={search.text}
            onChange={(event) => search.setText(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key !== 'Enter') return;
              event.preventDefault();
              if (event.shiftKey) search.previous();
              else search.next();
            }}
            style={{ flex: 1 }}
          />
          <Text size="sm" c="dimmed" aria-live="polite" data-testid="log-search-count" style={{ whiteSpace: 'nowrap' }}>
            {search.searching && search.totalCount === undefined
              ? 'Searching…'
              : search.error
                ? 'Search failed'
                : search.totalCount === undefined
                  ? ''
                  : search.totalCount === 0
                    ? 'No matches'
                    : `${(search.current?.index ?? 0) + 1} of ${search.totalCount}`}
          </Text>
          <Group gap={4}>
            <Tooltip label="Previous match (Shift+Enter)">
              <ActionIcon variant="default" size="lg" aria-label="Previous match" onClick={search.previous} disabled={!search.totalCount}>
                ↑
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Next match (Enter)">
              <ActionIcon variant="default" size="lg" aria-label="Next match" onClick={search.next} disabled={!search.totalCount}>
                ↓
              </ActionIcon>
            </Tooltip>
          </Group>
        </Group>
        <Switch label="Timestamps" checked={showTimestamps} onChange={(event) => setShowTimestamps(event.currentTarget.checked)} />
        <Group gap={4} ml="auto">
          <Button variant="default" size="xs" onClick={() => void download()} loading={downloading} disabled={log.lastSeq === 0}>
            Download
          </Button>
          <Button variant="default" size="xs" onClick={toggleFullScreen} aria-pressed={fullScreen}>
            {fullScreen ? 'Exit full screen' : 'Full screen'}
          </Button>
        </Group>
      </Group>
      {downloadError && <ErrorState error={downloadError} title="Could not download the log" />}
      {body ?? (
        <div className={fullScreen ? undefined : classes.frame} style={fullScreen ? { display: 'contents' } : undefined}>
          <div
            ref={scrollRef}
            className={classes.scroller}
            tabIndex={0}
            role="region"
            aria-label={`Log of attempt ${attempt}`}
            style={{ '--log-number-width': `${String(log.lastSeq).length + 2}ch` } as CSSProperties}
          >
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative', minWidth: '100%' }}>
              {items.map((item) => {
                const seq = rows[item.index];
                const section: LogSection | undefined = sectionByStart.get(seq);
                return (
                  <LogRow
                    key={seq}
                    seq={seq}
                    line={log.lines.get(seq)}
                    top={item.start}
                    showTimestamps={showTimestamps}
                    selected={range !== undefined && seq >= range.from && seq <= range.to}
                    match={seq === matchSeq}
                    query={search.query}
                    section={section}
                    folded={section !== undefined && folded.has(seq)}
                    onNumberClick={onNumberClick}
                    onToggle={onToggle}
                  />
                );
              })}
            </div>
          </div>
          <Group className={classes.status} justify="space-between" gap="xs">
            <span>
              {log.lastSeq.toLocaleString()} lines{live ? ' · live' : ''}
            </span>
            {!atEnd && (
              <Button size="compact-xs" variant="light" onClick={() => virtualizer.scrollToEnd()}>
                {live ? 'Follow the tail' : 'Jump to the end'}
              </Button>
            )}
            {live && atEnd && (
              <Group gap={6}>
                <Loader size={10} type="dots" color="gray" />
                <span>Following</span>
              </Group>
            )}
          </Group>
        </div>
      )}
    </div>
  );
}
