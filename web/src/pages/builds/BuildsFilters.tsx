import { Button, Group, MultiSelect, Select, TextInput } from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { SearchField } from '../../components/SearchField.tsx';
import { graphql } from '../../gql/gql.ts';
import { buildStatuses, isOneOf, platforms } from '../../graphql/enums.ts';
import { hasFilters, noFilters, type BuildsSearch } from './buildsSearch.ts';

const BuildsFilterWorkersQuery = graphql(`
  query BuildsFilterWorkers {
    workers(first: 200) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

/** A filter's field that writes the URL once the typist pauses (one history entry, not one per key). */
function useTypedFilter(value: string | undefined, commit: (value: string | undefined) => void) {
  const [draft, setDraft] = useState(value ?? '');
  const commitLater = useDebouncedCallback((next: string) => commit(next.trim() || undefined), 300);
  // Back/forward or a link may change the URL: the field follows.
  useEffect(() => setDraft(value ?? ''), [value]);
  return {
    value: draft,
    onChange: (event: React.ChangeEvent<HTMLInputElement>) => {
      setDraft(event.currentTarget.value);
      commitLater(event.currentTarget.value);
    },
  };
}

export interface BuildsFiltersProps {
  search: BuildsSearch;
  /** Changes some filters (the page goes back to the newest builds); `replace` for typing. */
  onChange: (patch: Partial<BuildsSearch>, options?: { replace?: boolean }) => void;
}

/** The builds page's filters; each lives in the URL, so a reload or a shared link shows the same view. */
export function BuildsFilters({ search, onChange }: BuildsFiltersProps) {
  const [{ data: workers }] = useQuery({ query: BuildsFilterWorkersQuery });
  const workerOptions = (workers?.workers.edges ?? []).map(({ node }) => ({ value: node.id, label: node.name }));
  // A worker in the URL that is not listed (revoked, or beyond the list) still shows as picked.
  if (search.worker && !workerOptions.some((option) => option.value === search.worker)) {
    workerOptions.push({ value: search.worker, label: search.worker.slice(0, 8) });
  }
  const text = useTypedFilter(search.text, (value) => onChange({ text: value }, { replace: true }));
  const label = useTypedFilter(search.label, (value) => onChange({ label: value }, { replace: true }));
  const width = { base: '100%', xs: 'auto' } as const;
  // At phone width the filters other than search fold behind a button, so the table is in view.
  const [unfolded, setUnfolded] = useState(false);
  const fold = unfolded ? undefined : 'sm';
  const active = [search.status, search.platform, search.worker, search.label, search.from, search.to].filter(Boolean).length;

  return (
    <Group mt="md" gap="sm" align="flex-end" id="builds-filters">
      <SearchField label="Search builds" placeholder="App, version, git ref, error or build id" {...text} w={{ base: '100%', sm: 300 }} />
      <Button
        variant="default"
        hiddenFrom="sm"
        aria-expanded={unfolded}
        aria-controls="builds-filters"
        onClick={() => setUnfolded((value) => !value)}
      >
        {unfolded ? 'Fewer filters' : active > 0 ? `Filters (${active})` : 'Filters'}
      </Button>
      <MultiSelect
        visibleFrom={fold}
        label="Status"
        placeholder={search.status ? undefined : 'Any'}
        data={buildStatuses}
        value={search.status ?? []}
        onChange={(value) => {
          const status = value.filter((item) => isOneOf(buildStatuses, item));
          onChange({ status: status.length > 0 ? status : undefined });
        }}
        clearable
        w={{ base: '100%', sm: 240 }}
      />
      <Select
        visibleFrom={fold}
        label="Platform"
        placeholder="Any"
        data={platforms}
        value={search.platform ?? null}
        onChange={(value) => onChange({ platform: isOneOf(platforms, value) ? value : undefined })}
        clearable
        w={{ base: '100%', sm: 130 }}
      />
      <Select
        visibleFrom={fold}
        label="Worker"
        placeholder="Any"
        data={workerOptions}
        value={search.worker ?? null}
        onChange={(value) => onChange({ worker: value ?? undefined })}
        searchable
        clearable
        nothingFoundMessage="No such worker"
        w={{ base: '100%', sm: 160 }}
      />
      <TextInput visibleFrom={fold} label="Label" placeholder="xcode=16.2" {...label} w={{ base: '100%', sm: 140 }} />
      <TextInput
        visibleFrom={fold}
        type="date"
        label="Submitted from"
        value={search.from ?? ''}
        max={search.to}
        onChange={(event) => onChange({ from: event.currentTarget.value || undefined })}
        w={width}
      />
      <TextInput
        visibleFrom={fold}
        type="date"
        label="Submitted to"
        value={search.to ?? ''}
        min={search.from}
        onChange={(event) => onChange({ to: event.currentTarget.value || undefined })}
        w={width}
      />
      {hasFilters(search) && (
        <Button variant="subtle" onClick={() => onChange(noFilters)}>
          Clear filters
        </Button>
      )}
    </Group>
  );
}
