import { Button, FileInput, Group, NumberInput, Progress, Select, Stack, TagsInput, Text } from '@mantine/core';
import { useNavigate } from '@tanstack/react-router';
import { useRef, useState, type FormEvent } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { ErrorState } from '../../components/ErrorState.tsx';
import { graphql } from '../../gql/gql.ts';
import type { Platform, UploadKind } from '../../gql/graphql.ts';
import { isOneOf, platforms } from '../../graphql/enums.ts';
import { emptyRow, MetadataRows, metadataOf, type MetadataRow } from './MetadataRows.tsx';
import { sha256OfBlob, uploadFile, type UploadCalls } from './uploadFile.ts';

const SubmitCreateUploadMutation = graphql(`
  mutation SubmitCreateUpload($input: CreateUploadInput!) {
    createUpload(input: $input) {
      id
      url
      headers {
        name
        value
      }
      partSize
      partCount
    }
  }
`);

const SubmitCreateUploadPartsMutation = graphql(`
  mutation SubmitCreateUploadParts($uploadId: ID!, $parts: [UploadPartInput!]!) {
    createUploadParts(uploadId: $uploadId, parts: $parts) {
      number
      url
      headers {
        name
        value
      }
    }
  }
`);

const SubmitCompleteUploadMutation = graphql(`
  mutation SubmitCompleteUpload($uploadId: ID!, $parts: [UploadedPartInput!]) {
    completeUpload(uploadId: $uploadId, parts: $parts) {
      id
    }
  }
`);

const SubmitBuildMutation = graphql(`
  mutation SubmitBuild($input: SubmitBuildInput!) {
    submitBuild(input: $input) {
      id
      status
      platform
    }
  }
`);

/** Source archives the agent unpacks. */
const ARCHIVE_PATTERN = /\.(tar\.gz|tgz|zip)$/i;
/** A label as the server takes it: `key` or `key=value`, key of a-z 0-9 . _ - / (case is folded), no commas. */
const LABEL_PATTERN = /^[A-Za-z0-9._/-]+(=[^,]*)?$/;

// FileInput's placeholder is Mantine's placeholder grey, under 4.5:1 contrast (axe): dimmed text instead.
const placeholderStyles = { placeholder: { color: 'var(--mantine-color-dimmed)' } };

type Phase = { step: 'idle' } | { step: 'hashing' | 'uploading'; what: string; done: number; total: number } | { step: 'submitting' };

/**
 * The submit form: archive, platform, priority, labels, metadata and optional certificates. It
 * hashes each file, uploads it as createUpload's ticket says (declared with its exact size and
 * sha256; in parts when the server stores it in a bucket), showing progress, then calls
 * submitBuild and opens the new build's page.
 */
export function SubmitForm() {
  const navigate = useNavigate();
  const [archive, setArchive] = useState<File | null>(null);
  const [certs, setCerts] = useState<File | null>(null);
  const [platform, setPlatform] = useState<Platform | null>(null);
  const [priority, setPriority] = useState<number>(0);
  const [labels, setLabels] = useState<string[]>([]);
  const [metadata, setMetadata] = useState<MetadataRow[]>(() => [emptyRow('appName'), emptyRow('version')]);
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [error, setError] = useState<CombinedError | Error>();
  const [, createUpload] = useMutation(SubmitCreateUploadMutation);
  const [, createUploadParts] = useMutation(SubmitCreateUploadPartsMutation);
  const [, completeUpload] = useMutation(SubmitCompleteUploadMutation);
  const [, submitBuild] = useMutation(SubmitBuildMutation);
  const abort = useRef<AbortController | null>(null);

  const archiveError = archive && !ARCHIVE_PATTERN.test(archive.name) ? 'Choose a .tar.gz, .tgz or .zip archive' : undefined;
  const badLabels = labels.filter((label) => !LABEL_PATTERN.test(label));
  const busy = phase.step !== 'idle';

  /** Hashes `file`, reserves an upload for it and sends it; returns the upload id. Throws on refusal. */
  const send = async (file: File, kind: UploadKind, what: string, signal: AbortSignal): Promise<string> => {
    setPhase({ step: 'hashing', what, done: 0, total: file.size });
    const sha256 = await sha256OfBlob(file, (done) => setPhase({ step: 'hashing', what, done, total: file.size }), signal);
    setPhase({ step: 'uploading', what, done: 0, total: file.size });
    const ticket = await createUpload({ input: { kind, filename: file.name.slice(0, 255), size: file.size, sha256 } });
    if (ticket.error || !ticket.data) throw ticket.error ?? new Error('No upload was reserved');
    const uploadId = ticket.data.createUpload.id;
    const calls: UploadCalls = {
      async partUrl(number, partSha256) {
        const answer = await createUploadParts({ uploadId, parts: [{ number, sha256: partSha256 }] });
        const part = answer.data?.createUploadParts.find((given) => given.number === number);
        if (answer.error || !part) throw answer.error ?? new Error(`No URL was given for part ${number}`);
        return part;
      },
      async complete(parts) {
        const answer = await completeUpload({ uploadId, parts });
        if (answer.error || !answer.data) throw answer.error ?? new Error('The upload was not completed');
      },
    };
    await uploadFile(ticket.data.createUpload, file, calls, (done, total) => setPhase({ step: 'uploading', what, done, total }), signal);
    return uploadId;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!archive || archiveError || !platform || badLabels.length > 0) return;
    setError(undefined);
    const controller = new AbortController();
    abort.current = controller;
    try {
      const meta = metadataOf(metadata);
      const sourceUploadId = await send(archive, 'SOURCE', 'source archive', controller.signal);
      const certsUploadId = certs ? await send(certs, 'CERTS', 'certificates', controller.signal) : undefined;
      setPhase({ step: 'submitting' });
      const result = await submitBuild({
        input: { sourceUploadId, certsUploadId, platform, priority, requiredLabels: labels, metadata: meta },
      });
      if (result.error || !result.data) throw result.error ?? new Error('The build was not queued');
      await navigate({ to: '/builds/$buildId', params: { buildId: result.data.submitBuild.id } });
    } catch (thrown) {
      if (!(thrown instanceof DOMException && thrown.name === 'AbortError')) {
        setError(thrown instanceof Error ? thrown : new Error(String(thrown)));
      }
      setPhase({ step: 'idle' });
    } finally {
      abort.current = null;
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)} aria-label="Submit a build">
      <Stack gap="md">
        <FileInput
          label="Source archive"
          description="A .tar.gz, .tgz or .zip of the project"
          placeholder="Choose an archive"
          styles={placeholderStyles}
          clearButtonProps={{ 'aria-label': 'Clear the source archive' }}
          accept=".tar.gz,.tgz,.zip,application/gzip,application/zip"
          value={archive}
          onChange={setArchive}
          error={archiveError}
          required
          clearable
          disabled={busy}
        />
        <Group grow align="flex-start" wrap="wrap">
          <Select
            label="Platform"
            placeholder="Choose"
            data={platforms}
            value={platform}
            onChange={(value) => setPlatform(isOneOf(platforms, value) ? value : null)}
            required
            disabled={busy}
            miw={180}
          />
          <NumberInput
            label="Priority"
            description="-1000 to 1000; higher runs first"
            value={priority}
            onChange={(value) => setPriority(typeof value === 'number' ? value : Number(value) || 0)}
            min={-1000}
            max={1000}
            clampBehavior="strict"
            allowDecimal={false}
            disabled={busy}
            miw={180}
          />
        </Group>
        <TagsInput
          label="Required labels"
          description="A worker must offer each, e.g. xcode=16.2 (press Enter after each)"
          placeholder="key=value"
          clearButtonProps={{ 'aria-label': 'Clear the labels' }}
          value={labels}
          onChange={setLabels}
          error={badLabels.length > 0 ? `Not a label: ${badLabels.join(', ')} (key or key=value, no commas)` : undefined}
          splitChars={[',', ' ']}
          maxTags={32}
          clearable
          disabled={busy}
        />
        <MetadataRows rows={metadata} onChange={setMetadata} />
        <FileInput
          label="Signing certificates (optional)"
          description="For signed builds; encrypted at rest and deleted when the build finishes"
          placeholder="Choose a file"
          styles={placeholderStyles}
          clearButtonProps={{ 'aria-label': 'Clear the certificates' }}
          value={certs}
          onChange={setCerts}
          clearable
          disabled={busy}
        />
        {(phase.step === 'hashing' || phase.step === 'uploading') && (
          <Stack gap={4}>
            <Text size="sm" id="submit-progress-label">
              {phase.step === 'hashing' ? 'Computing the checksum of' : 'Uploading'} the {phase.what}: {formatBytes(phase.done)} of{' '}
              {formatBytes(phase.total)}
            </Text>
            <Progress
              value={phase.total > 0 ? (phase.done / phase.total) * 100 : 100}
              aria-labelledby="submit-progress-label"
              size="lg"
              transitionDuration={150}
            />
          </Stack>
        )}
        {phase.step === 'submitting' && <Text size="sm">Queueing the build…</Text>}
        {error && <ErrorState error={error} title="The build was not submitted" />}
        <Group justify="flex-end">
          {(phase.step === 'hashing' || phase.step === 'uploading') && (
            <Button variant="default" onClick={() => abort.current?.abort()}>
              Stop upload
            </Button>
          )}
          <Button type="submit" loading={busy} disabled={!archive || !!archiveError || !platform || badLabels.length > 0}>
            Submit build
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** A byte count for people: "812 B", "14.2 KiB", "3.1 MiB". */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
