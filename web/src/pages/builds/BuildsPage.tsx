import { Box, Button, Group, Paper, Text } from '@mantine/core';
import type { RowSelectionState } from '@tanstack/react-table';
import { getRouteApi } from '@tanstack/react-router';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { graphql } from '../../gql/gql.ts';
import type { BuildsRowFragment } from '../../gql/graphql.ts';
import { useSession } from '../../session/session.ts';
import classes from './BuildsPage.module.css';
import { BuildsFilters } from './BuildsFilters.tsx';
import { BuildsTable } from './BuildsTable.tsx';
import { BulkActions } from './BulkActions.tsx';
import { buildFilterOf, hasFilters, noFilters, type BuildsSearch } from './buildsSearch.ts';
import { useNewBuilds, useScrolledDown } from './useNewBuilds.ts';

const route = getRouteApi('/app/builds');

/** Builds per page. */
const PAGE_SIZE = 50;

const BuildsPageQuery = graphql(`
  query BuildsPage($filter: BuildFilter, $first: Int, $after: String, $last: Int, $before: String) {
    builds(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node {
          ...BuildsRow
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

// Every build change, with the row's fields: the cache updates rows in place and makes the
// newest page fetch again when a build it lacks could belong to it (graphql/cache.ts).
const BuildsPageLive = graphql(`
  subscription BuildsPageLive {
    buildUpdated {
      buildId
      status
      build {
        ...BuildsRow
      }
    }
  }
`);

const noCursors = { after: undefined, before: undefined } satisfies Partial<BuildsSearch>;

/**
 * The builds page: a filtered, paged, live table of builds. Filters and the page's cursor live in
 * the URL. Changed builds update in place; builds new to the newest page join it at once while
 * the reader is at its top, and are otherwise announced ("3 new builds — show") so rows never
 * move under the reader. Keys that may act select builds to cancel or retry them.
 */
export function BuildsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const session = useSession();
  const filter = useMemo(() => buildFilterOf(search), [search]);
  const viewKey = JSON.stringify(filter);
  const onNewestPage = !search.after && !search.before;

  const [page, reexecute] = useQuery({
    query: BuildsPageQuery,
    variables: search.before ? { filter, last: PAGE_SIZE, before: search.before } : { filter, first: PAGE_SIZE, after: search.after },
  });
  // The newest page for this filter: the page itself when on it, else a second query that tells
  // the reader on an older page that new builds arrived.
  const [newest, reexecuteNewest] = useQuery({ query: BuildsPageQuery, variables: { filter, first: PAGE_SIZE }, pause: onNewestPage });

  const [selection, setSelection] = useState<RowSelectionState>({});
  const scrolled = useScrolledDown();
  const selectedCount = Object.keys(selection).length;
  const newestResult = onNewestPage ? page : newest;
  // Only an answer for this very filter counts (not the last filter's, still on screen).
  const newestIds =
    JSON.stringify(newestResult.operation?.variables?.filter ?? null) === viewKey
      ? newestResult.data?.builds.edges.map((edge) => edge.node.id)
      : undefined;
  const refetchNewest = useCoalesced(() => (onNewestPage ? reexecute : reexecuteNewest)({ requestPolicy: 'network-only' }));
  // A new build (submitted or retried: it enters PENDING) that the newest page lacks makes that
  // page fetch from the network. The cache's own refetch (cache.ts) is dropped while one for the
  // same page is in flight, and that one may have been answered before the build existed.
  useSubscription({ query: BuildsPageLive }, (_previous, event) => {
    const { buildId, status } = event.buildUpdated;
    if (status === 'PENDING' && newestIds && !newestIds.includes(buildId)) refetchNewest();
    return event;
  });
  const { shown, unseen, acknowledge } = useNewBuilds(viewKey, newestIds, onNewestPage && !scrolled && selectedCount === 0);

  const edges = page.data?.builds.edges ?? [];
  // On the newest page, builds not yet shown wait behind the announcement.
  const builds: BuildsRowFragment[] = edges
    .map((edge) => edge.node)
    .filter((build) => !onNewestPage || shown === null || shown.has(build.id));
  const selected = builds.filter((build) => selection[build.id]);
  const pageInfo = page.data?.builds.pageInfo;

  const setView = (patch: Partial<BuildsSearch>, options: { replace?: boolean } = {}) => {
    setSelection({});
    void navigate({ search: (previous) => ({ ...previous, ...noCursors, ...patch }), replace: options.replace });
  };
  const turnPage = (cursor: Pick<BuildsSearch, 'after' | 'before'>) => {
    setView(cursor);
    window.scrollTo({ top: 0 });
  };
  const showNewest = () => {
    acknowledge();
    setSelection({});
    if (!onNewestPage) void navigate({ search: (previous) => ({ ...previous, ...noCursors }) });
    window.scrollTo({ top: 0 });
  };

  return (
    <>
      <PageHeader title="Builds" description="Every build, newest first; changes show as they happen.">
        <BuildsFilters search={search} onChange={setView} />
      </PageHeader>

      {/* Floats over the page rather than taking a place in it, so its coming never moves the rows. */}
      <Box role="status" aria-live="polite" className={classes.announcement}>
        {unseen.length > 0 && (
          <Paper withBorder shadow="md" px="sm" py={6} radius="xl">
            <Group gap="sm" wrap="nowrap">
              <Text size="sm" fw={500}>
                {unseen.length >= PAGE_SIZE ? `${PAGE_SIZE}+` : unseen.length} new build{unseen.length === 1 ? '' : 's'}
              </Text>
              <Button size="xs" radius="xl" onClick={showNewest}>
                Show new builds
              </Button>
            </Group>
          </Paper>
        )}
      </Box>

      {page.error && !page.data && (
        <ErrorState error={page.error} title="Could not load the builds" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
      )}
      {!page.error && !page.data && <Loading label="Loading builds…" variant="rows" rows={8} />}
      {page.data && builds.length === 0 && (
        <EmptyState
          title={hasFilters(search) ? 'No builds match these filters' : onNewestPage ? 'No builds yet' : 'No builds on this page'}
          description={
            hasFilters(search)
              ? 'Widen the filters, or clear them to see every build.'
              : onNewestPage
                ? 'Builds submitted from the CLI, the API or the console show here as they are queued.'
                : 'The builds this page held are gone; start again from the newest.'
          }
          action={
            hasFilters(search) ? (
              <Button variant="default" onClick={() => setView(noFilters)}>
                Clear filters
              </Button>
            ) : !onNewestPage ? (
              <Button variant="default" onClick={showNewest}>
                Newest builds
              </Button>
            ) : null
          }
        />
      )}
      {builds.length > 0 && (
        <>
          <BuildsTable builds={builds} selectable={session.canAct} selection={selection} onSelectionChange={setSelection} />
          {/* Below the table and sticky to the window's bottom: ticking a row never moves the rows. */}
          {session.canAct && selected.length > 0 && (
            <BulkActions selected={selected} onDone={() => setSelection({})} onClear={() => setSelection({})} />
          )}
          {(!onNewestPage || pageInfo?.hasNextPage) && (
            <Group justify="flex-end" gap="xs" mt="sm" component="nav" aria-label="Pages of builds">
              <Button variant="default" size="xs" disabled={onNewestPage} onClick={showNewest}>
                Newest
              </Button>
              <Button
                variant="default"
                size="xs"
                disabled={onNewestPage || (search.before !== undefined && !pageInfo?.hasPreviousPage)}
                onClick={() => pageInfo?.startCursor && turnPage({ before: pageInfo.startCursor })}
              >
                ← Newer
              </Button>
              <Button
                variant="default"
                size="xs"
                disabled={search.before === undefined && !pageInfo?.hasNextPage}
                onClick={() => pageInfo?.endCursor && turnPage({ after: pageInfo.endCursor })}
              >
                Older →
              </Button>
            </Group>
          )}
        </>
      )}
    </>
  );
}

/** `action`, run once at the end of the current burst of calls (within `delayMs` of the first). */
function useCoalesced(action: () => void, delayMs = 50): () => void {
  const latest = useRef(action);
  latest.current = action;
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    timer.current ??= setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, delayMs);
  };
}
