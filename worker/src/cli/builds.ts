import type { GraphqlClient } from '../client/api.ts';
import { ApiError } from '../client/api.ts';
import { ExitCode } from './exitCodes.ts';
import { typeFields } from './schemaFeatures.ts';

/** A build as the CLI shows it. */
export interface BuildView {
  id: string;
  status: string;
  platform: string;
  priority: number;
  progress: number;
  attempt: number;
  maxAttempts: number;
  timeoutSeconds: number;
  metadata: Record<string, unknown>;
  errorMessage: string | null;
  submittedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  resultSize: number | null;
  resultSha256: string | null;
  worker: { id: string; name: string } | null;
  events: { fromStatus: string | null; toStatus: string; actor: string; reason: string | null; at: string }[];
  /** How many registered workers could take it; only on servers with label routing. */
  eligibleWorkers?: number;
}

export const buildFields = `id status platform priority progress attempt maxAttempts timeoutSeconds metadata errorMessage
  submittedAt startedAt finishedAt resultSize resultSha256 worker { id name }
  events { fromStatus toStatus actor reason at }`;

/** Reads one build (with eligibleWorkers where the server has it); ApiError NOT_FOUND when absent. */
export async function readBuild(api: GraphqlClient, id: string): Promise<BuildView> {
  const eligible = (await typeFields(api, 'Build')).has('eligibleWorkers') ? ' eligibleWorkers' : '';
  const { build } = await api.request<{ build: BuildView | null }>(`query ($id: ID!) { build(id: $id) { ${buildFields}${eligible} } }`, {
    id,
  });
  if (!build) throw new ApiError('NOT_FOUND', `No build ${id}`);
  return build;
}

export const finishedStatuses = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * A finished build's outcome: `completed`, `failed`, `cancelled`, or `timed out` (FAILED by the
 * server because it ran past its timeoutSeconds: its last event's reason is "timed out").
 */
export function outcomeOf(build: Pick<BuildView, 'status' | 'events'>): 'completed' | 'failed' | 'cancelled' | 'timed out' {
  if (build.status === 'COMPLETED') return 'completed';
  if (build.status === 'CANCELLED') return 'cancelled';
  return build.events.at(-1)?.reason === 'timed out' ? 'timed out' : 'failed';
}

/** The exit code of a finished build's outcome (0, 1, 4 or 5). */
export function exitCodeOfOutcome(outcome: ReturnType<typeof outcomeOf>): number {
  return { completed: ExitCode.ok, failed: ExitCode.buildFailed, cancelled: ExitCode.buildCancelled, 'timed out': ExitCode.buildTimedOut }[
    outcome
  ];
}
