import { Group, MultiSelect, Select } from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { getRouteApi } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { EmptyState } from '../../components/EmptyState.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { SearchField } from '../../components/SearchField.tsx';
import { buildStatuses, isOneOf, platforms } from '../../graphql/enums.ts';

const route = getRouteApi('/app/builds');

/**
 * The builds page (placeholder): its filters live in the URL (`buildsSearch.ts`), so a reload or a
 * shared link shows the same view. The table comes with its page work.
 */
export function BuildsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const [text, setText] = useState(search.text ?? '');
  // Typing updates the URL once the typist pauses, replacing the entry rather than adding one per key.
  const commitText = useDebouncedCallback((value: string) => {
    void navigate({ search: (previous) => ({ ...previous, text: value.trim() || undefined }), replace: true });
  }, 300);
  // Back/forward or a link may change the URL's text: the field follows.
  useEffect(() => setText(search.text ?? ''), [search.text]);

  return (
    <>
      <PageHeader title="Builds" description="Every build, newest first.">
        <Group mt="md" gap="sm" align="flex-end">
          <SearchField
            label="Search builds"
            placeholder="App, version, git ref, error or build id"
            value={text}
            onChange={(event) => {
              setText(event.currentTarget.value);
              commitText(event.currentTarget.value);
            }}
            w={{ base: '100%', sm: 320 }}
          />
          <MultiSelect
            label="Status"
            placeholder={search.status ? undefined : 'Any'}
            data={buildStatuses}
            value={search.status ?? []}
            onChange={(value) => {
              const status = value.filter((item) => isOneOf(buildStatuses, item));
              void navigate({ search: (previous) => ({ ...previous, status: status.length > 0 ? status : undefined }) });
            }}
            clearable
            w={{ base: '100%', sm: 260 }}
          />
          <Select
            label="Platform"
            placeholder="Any"
            data={platforms}
            value={search.platform ?? null}
            onChange={(value) =>
              void navigate({ search: (previous) => ({ ...previous, platform: isOneOf(platforms, value) ? value : undefined }) })
            }
            clearable
            w={{ base: '100%', sm: 160 }}
          />
        </Group>
      </PageHeader>
      <EmptyState
        title="The builds table comes here"
        description="Status, platform, app and version, submitter, worker and timings, with live updates and bulk actions."
      />
    </>
  );
}
