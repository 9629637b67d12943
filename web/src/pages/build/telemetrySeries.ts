import { isRecord } from './buildFormat.ts';

/** A telemetry event as the server returns it. */
export interface TelemetryEvent {
  at: string;
  kind: string;
  data: unknown;
}

export interface SamplePoint {
  /** ms since the epoch. */
  at: number;
  value: number;
}

export interface StageDuration {
  stage: string;
  seconds: number;
  /** Started with no end seen yet: counted up to the last event. */
  open: boolean;
}

export interface TelemetrySeries {
  /** CPU use in percent (`sample.cpu` events' `percent`). */
  cpuPercent: SamplePoint[];
  /** Memory in use, bytes (`sample.memory` events' `bytes`, `usedBytes` or `rssBytes`). */
  memoryBytes: SamplePoint[];
  /** Memory in use, percent (`sample.memory` events' `percent`, when no byte count is given). */
  memoryPercent: SamplePoint[];
  /** Stage durations in the order the stages started. */
  stages: StageDuration[];
}

const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Reads the chartable parts of a build's telemetry. The server stores any `kind` and JSON `data`;
 * the console charts the conventional shapes (docs/architecture.md: stages, CPU and memory samples):
 * `sample.cpu` {percent}, `sample.memory` {bytes | usedBytes | rssBytes | percent},
 * `stage.started` {stage | name}, `stage.finished` {stage | name, durationMs?} (also `.ended`,
 * `.completed`, `.failed`). A stage's duration is its `durationMs` when given, else the time between
 * its start and end events. Anything else (cache hits, unknown kinds) is ignored here.
 */
export function telemetrySeries(events: readonly TelemetryEvent[]): TelemetrySeries {
  const series: TelemetrySeries = { cpuPercent: [], memoryBytes: [], memoryPercent: [], stages: [] };
  const openStages = new Map<string, { at: number; index: number }>();
  let lastAt = 0;
  for (const event of events) {
    const at = new Date(event.at).getTime();
    if (Number.isNaN(at)) continue;
    lastAt = Math.max(lastAt, at);
    const data = isRecord(event.data) ? event.data : {};
    if (event.kind === 'sample.cpu') {
      const percent = number(data.percent);
      if (percent !== undefined) series.cpuPercent.push({ at, value: percent });
    } else if (event.kind === 'sample.memory') {
      const bytes = number(data.bytes) ?? number(data.usedBytes) ?? number(data.rssBytes);
      const percent = number(data.percent);
      if (bytes !== undefined) series.memoryBytes.push({ at, value: bytes });
      else if (percent !== undefined) series.memoryPercent.push({ at, value: percent });
    } else if (event.kind.startsWith('stage.')) {
      const stage = text(data.stage) ?? text(data.name);
      if (!stage) continue;
      const phase = event.kind.slice('stage.'.length);
      if (phase === 'started') {
        openStages.set(stage, { at, index: series.stages.length });
        series.stages.push({ stage, seconds: 0, open: true });
      } else if (['finished', 'ended', 'completed', 'failed'].includes(phase)) {
        const started = openStages.get(stage);
        const durationMs = number(data.durationMs);
        const seconds = durationMs !== undefined ? durationMs / 1000 : started ? (at - started.at) / 1000 : undefined;
        if (seconds === undefined) continue;
        if (started) series.stages[started.index] = { stage, seconds: Math.max(0, seconds), open: false };
        else series.stages.push({ stage, seconds: Math.max(0, seconds), open: false });
        openStages.delete(stage);
      }
    }
  }
  for (const { at, index } of openStages.values())
    series.stages[index] = { ...series.stages[index], seconds: Math.max(0, (lastAt - at) / 1000) };
  return series;
}

/** Whether there is anything to chart. */
export function hasCharts(series: TelemetrySeries): boolean {
  return series.cpuPercent.length + series.memoryBytes.length + series.memoryPercent.length + series.stages.length > 0;
}
