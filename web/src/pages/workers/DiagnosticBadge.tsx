import { Badge, type MantineColor } from '@mantine/core';
import type { DiagnosticStatus } from '../../gql/graphql.ts';

const colors: Record<DiagnosticStatus, MantineColor> = { OK: 'green', WARN: 'yellow', FAIL: 'red' };

/**
 * The overall outcome of a diagnostics report: FAIL when any check failed, else WARN when any
 * warned, else OK; null when there is no report.
 */
export function reportStatus(report: { failCount: number; warnCount: number } | null | undefined): DiagnosticStatus | null {
  if (!report) return null;
  if (report.failCount > 0) return 'FAIL';
  if (report.warnCount > 0) return 'WARN';
  return 'OK';
}

/**
 * A diagnostic outcome (OK / WARN / FAIL) as a tinted badge, or "None" without a report. The text carries the
 * meaning and keeps the page's colour, for contrast (as StatusBadge does).
 */
export function DiagnosticBadge({ status, label }: { status: DiagnosticStatus | null; label?: string }) {
  if (!status) {
    return (
      <Badge color="gray" variant="outline" size="sm" radius="sm" c="var(--mantine-color-text)">
        None
      </Badge>
    );
  }
  return (
    <Badge color={colors[status]} variant="light" size="sm" radius="sm" c="var(--mantine-color-text)">
      {label ?? status}
    </Badge>
  );
}
