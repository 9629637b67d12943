import { SimpleGrid, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDuration } from '../../lib/format.ts';
import type { SamplePoint, TelemetrySeries } from './telemetrySeries.ts';

const CHART_HEIGHT = 200;
const axisTick = { fill: 'var(--mantine-color-dimmed)', fontSize: 12 };
const gridStroke = 'var(--mantine-color-default-border)';
const tooltipStyle = {
  contentStyle: { background: 'var(--mantine-color-body)', border: '1px solid var(--mantine-color-default-border)', fontSize: 12 },
  labelStyle: { color: 'var(--mantine-color-text)' },
};
const clock = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const clockTime = (at: number) => clock.format(at);

/**
 * The charts of a build's telemetry, each with a caption and a one-line summary in text (what a
 * screen reader says instead of the drawing). Loaded lazily: recharts is large.
 */
export function TelemetryCharts({ series }: { series: TelemetrySeries }) {
  const memoryInBytes = series.memoryBytes.length > 0;
  // Bytes are charted in one unit (MB or GB) so the axis gets round ticks (1 GB, 2 GB…).
  const memoryUnit = memoryUnitFor(series.memoryBytes);
  const memory = memoryInBytes
    ? series.memoryBytes.map((point) => ({ at: point.at, value: point.value / memoryUnit.bytes }))
    : series.memoryPercent;
  const formatMemory = memoryInBytes
    ? (value: number) => `${round(value)} ${memoryUnit.name}`
    : (value: number) => `${Math.round(value)} %`;
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
      {series.cpuPercent.length > 0 && (
        <Chart title="CPU" summary={summarise(series.cpuPercent, (value) => `${Math.round(value)} %`)}>
          <SampleChart
            points={series.cpuPercent}
            color="var(--mantine-color-blue-6)"
            name="CPU"
            format={(value) => `${Math.round(value)} %`}
            domain={[0, 100]}
          />
        </Chart>
      )}
      {memory.length > 0 && (
        <Chart title="Memory" summary={summarise(memory, formatMemory)}>
          <SampleChart
            points={memory}
            color="var(--mantine-color-grape-6)"
            name="Memory"
            format={formatMemory}
            domain={memoryInBytes ? [0, roundUp] : [0, 100]}
          />
        </Chart>
      )}
      {series.stages.length > 0 && (
        <Chart
          title="Stage durations"
          summary={series.stages
            .map((stage) => `${stage.stage} ${formatDuration(stage.seconds)}${stage.open ? ' (running)' : ''}`)
            .join(', ')}
        >
          <ResponsiveContainer width="100%" height={Math.min(CHART_HEIGHT * 2, series.stages.length * 36 + 50)}>
            <BarChart data={series.stages} layout="vertical" margin={{ left: 8, right: 16 }}>
              <CartesianGrid stroke={gridStroke} horizontal={false} />
              <XAxis type="number" tick={axisTick} tickFormatter={(value: number) => formatDuration(value)} />
              <YAxis type="category" dataKey="stage" tick={axisTick} width={100} />
              <Tooltip {...tooltipStyle} formatter={(value) => [formatDuration(Number(value)), 'Duration']} />
              <Bar dataKey="seconds" name="Duration" fill="var(--mantine-color-teal-6)" maxBarSize={24} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </Chart>
      )}
    </SimpleGrid>
  );
}

function Chart({ title, summary, children }: { title: string; summary: string; children: ReactNode }) {
  return (
    <figure style={{ margin: 0 }} aria-label={title}>
      <Text component="figcaption" fw={500} size="sm">
        {title}
      </Text>
      <Text size="xs" c="dimmed" mb="xs">
        {summary}
      </Text>
      {children}
    </figure>
  );
}

function SampleChart({
  points,
  color,
  name,
  format,
  domain,
}: {
  points: SamplePoint[];
  color: string;
  name: string;
  format: (value: number) => string;
  domain: [number, number | ((dataMax: number) => number)];
}) {
  return (
    <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
      <LineChart data={points} margin={{ left: 8, right: 16, top: 8 }}>
        <CartesianGrid stroke={gridStroke} vertical={false} />
        <XAxis dataKey="at" type="number" scale="time" domain={['dataMin', 'dataMax']} tick={axisTick} tickFormatter={clockTime} />
        <YAxis tick={axisTick} domain={domain} tickFormatter={format} tickCount={5} width={64} />
        <Tooltip {...tooltipStyle} labelFormatter={(at) => clockTime(Number(at))} formatter={(value) => [format(Number(value)), name]} />
        <Line
          type="monotone"
          dataKey="value"
          name={name}
          stroke={color}
          dot={points.length < 30}
          strokeWidth={2}
          isAnimationActive={false}
        />
      </LineChart>
    </ResponsiveContainer>
  );
}

/** "peak 93 %, average 61 %, last 40 % (24 samples)". */
function summarise(points: SamplePoint[], format: (value: number) => string): string {
  const values = points.map((point) => point.value);
  const peak = Math.max(...values);
  const average = values.reduce((sum, value) => sum + value, 0) / values.length;
  return `peak ${format(peak)}, average ${format(average)}, last ${format(values[values.length - 1])} (${values.length} ${values.length === 1 ? 'sample' : 'samples'})`;
}

/** GB when the peak is a gigabyte or more, else MB (powers of 1024, as formatBytes). */
function memoryUnitFor(points: SamplePoint[]): { name: string; bytes: number } {
  const peak = Math.max(0, ...points.map((point) => point.value));
  return peak >= 1024 ** 3 ? { name: 'GB', bytes: 1024 ** 3 } : { name: 'MB', bytes: 1024 ** 2 };
}

/** At most two decimals, none when whole: 2, 2.5, 2.63. */
const round = (value: number) => String(Math.round(value * 100) / 100);

/** The axis top: the peak rounded up to its leading digit's step (3.25 → 4, 730 → 800), so ticks are round. */
function roundUp(peak: number): number {
  if (!(peak > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(peak));
  return Math.ceil(peak / step) * step;
}
