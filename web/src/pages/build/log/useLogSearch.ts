import { useDebouncedValue } from '@mantine/hooks';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { graphql } from '../../../gql/gql.ts';

const BuildLogSearchPage = graphql(`
  query BuildLogSearchPage($buildId: ID!, $attempt: Int, $query: String!, $first: Int, $after: String) {
    buildLogSearch(buildId: $buildId, attempt: $attempt, query: $query, first: $first, after: $after) {
      totalCount
      edges {
        node {
          seq
        }
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
  }
`);

/** Matches fetched a request; the count covers the whole log either way. */
const MATCH_PAGE_SIZE = 500;
/** Typing pause before searching, in ms. */
const SEARCH_DELAY_MS = 250;

export interface LogSearch {
  /** The text being typed. */
  text: string;
  setText(text: string): void;
  /** The query searched (trimmed); empty when there is none. */
  query: string;
  /** How many lines match in the whole attempt; undefined until the server answered. */
  totalCount?: number;
  /** The position (0-based) of the current match among all matches, and its seq. */
  current?: { index: number; seq: number };
  searching: boolean;
  error?: Error;
  next(): void;
  previous(): void;
}

/**
 * Searches the whole log of one attempt on the server (`buildLogSearch`), fetching matches a
 * page at a time as next() walks past the ones loaded. `onMatch` is called with the seq of each
 * match moved to, so the view can scroll there.
 */
export function useLogSearch(buildId: string, attempt: number, onMatch: (seq: number) => void): LogSearch {
  const client = useClient();
  const [text, setText] = useState('');
  const [debounced] = useDebouncedValue(text.trim(), SEARCH_DELAY_MS);
  const [result, setResult] = useState<{
    query: string;
    totalCount: number;
    seqs: number[];
    endCursor?: string | null;
    hasNextPage: boolean;
  }>();
  const [index, setIndex] = useState(0);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<Error>();
  const onMatchRef = useRef(onMatch);
  onMatchRef.current = onMatch;

  const fetchMatches = useCallback(
    async (query: string, after?: string | null) => {
      const answer = await client
        .query(BuildLogSearchPage, { buildId, attempt, query, first: MATCH_PAGE_SIZE, after }, { requestPolicy: 'network-only' })
        .toPromise();
      if (answer.error) throw answer.error;
      const page = answer.data!.buildLogSearch;
      return {
        totalCount: page.totalCount,
        seqs: page.edges.map((edge) => edge.node.seq),
        endCursor: page.pageInfo.endCursor,
        hasNextPage: page.pageInfo.hasNextPage,
      };
    },
    [client, buildId, attempt],
  );

  useEffect(() => {
    setResult(undefined);
    setIndex(0);
    setError(undefined);
    if (!debounced) return;
    let stale = false;
    setSearching(true);
    fetchMatches(debounced)
      .then((page) => {
        if (stale) return;
        setResult({ query: debounced, ...page });
        if (page.seqs.length > 0) onMatchRef.current(page.seqs[0]);
      })
      .catch((failure: Error) => !stale && setError(failure))
      .finally(() => !stale && setSearching(false));
    return () => {
      stale = true;
    };
  }, [debounced, fetchMatches]);

  const moveTo = useCallback((target: number, seqs: number[]) => {
    setIndex(target);
    onMatchRef.current(seqs[target]);
  }, []);

  const next = useCallback(() => {
    if (!result || result.seqs.length === 0 || searching) return;
    if (index + 1 < result.seqs.length) return moveTo(index + 1, result.seqs);
    if (!result.hasNextPage) return moveTo(0, result.seqs);
    setSearching(true);
    fetchMatches(result.query, result.endCursor)
      .then((page) => {
        const seqs = [...result.seqs, ...page.seqs];
        setResult({ ...result, ...page, seqs });
        moveTo(page.seqs.length > 0 ? index + 1 : 0, seqs);
      })
      .catch((failure: Error) => setError(failure))
      .finally(() => setSearching(false));
  }, [result, index, searching, fetchMatches, moveTo]);

  const previous = useCallback(() => {
    if (!result || result.seqs.length === 0 || searching) return;
    if (index > 0) return moveTo(index - 1, result.seqs);
    // Wrapping to the last match needs every match loaded; otherwise stay on the first.
    if (!result.hasNextPage) moveTo(result.seqs.length - 1, result.seqs);
  }, [result, index, searching, moveTo]);

  const seq = result?.seqs[index];
  return {
    text,
    setText,
    query: result?.query ?? '',
    totalCount: result?.totalCount,
    current: seq === undefined ? undefined : { index, seq },
    searching,
    error,
    next,
    previous,
  };
}
