import type { ReactNode } from 'react';
import { ApiError, type StatusValue } from '../api.js';
import { dateTime, isoTitle, percent, relative, serverText } from '../format.js';
import { type LiveVerdict, VERDICT_CLASS } from '../verdict.js';

const STATUS_TEXT: Record<StatusValue, string> = {
  idle: 'idle',
  pending: 'pending',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

/** A status as a coloured word; the word alone carries the meaning (no colour-only cues). */
export function StatusBadge({ status, testId }: { status: StatusValue; testId?: string }) {
  return (
    <span className={`badge badge-${status}`} data-testid={testId}>
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

/** The stage and progress of a running job. */
export function StageProgress({ stage, progress }: { stage: string | null; progress: number | null }) {
  return (
    <span className="stage">
      <span>{stage ?? 'waiting to start'}</span>
      {progress !== null && (
        <span className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress * 100)} aria-label={`${stage ?? 'progress'}`}>
          <span className="progress-bar" style={{ width: percent(progress) }} />
        </span>
      )}
      {progress !== null && <span className="muted">{percent(progress)}</span>}
    </span>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

/** An error a person can act on: what failed, the server's reason, and a retry. */
export function ErrorBox({ what, error, retry }: { what: string; error: unknown; retry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  const unreachable = error instanceof ApiError && error.status === 0;
  return (
    <div className="state state-error" role="alert">
      <strong>Could not load {what}.</strong> {message}
      {unreachable && <> Is the Refit server running?</>}
      {retry && (
        <button type="button" className="link-button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

export function Card({ title, children, className, actions, testId }: { title: string; children: ReactNode; className?: string; actions?: ReactNode; testId?: string }) {
  return (
    <section className={`card ${className ?? ''}`} aria-label={title} data-testid={testId}>
      <header className="card-header">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/**
 * A moment, formatted the dashboard's one way ("12 Mar 2026, 14:03", or "3 min ago" when
 * `relative`), with the full ISO timestamp in its tooltip and `dateTime` attribute.
 */
export function When({ at, relative: rel = false, testId, className }: { at: string | null | undefined; relative?: boolean; testId?: string; className?: string }) {
  if (!at) return <span className={`muted ${className ?? ''}`}>—</span>;
  const iso = isoTitle(at);
  return (
    <time dateTime={iso} title={iso} data-testid={testId} className={className}>
      {rel ? relative(at) : dateTime(at)}
    </time>
  );
}

/** A sentence from the server (decision, reason) with its dates and percentages in the dashboard's formats. */
export function ServerText({ text, className, testId }: { text: string | null | undefined; className?: string; testId?: string }) {
  if (!text) return null;
  return (
    <span className={className} data-testid={testId}>
      {serverText(text)}
    </span>
  );
}

/** The live-metric verdict as a badge; its numbers in the tooltip. The same on every page. */
export function VerdictBadge({ verdict, testId }: { verdict: LiveVerdict; testId?: string }) {
  return (
    <span className={`badge ${VERDICT_CLASS[verdict.tone]}`} data-testid={testId} data-tone={verdict.tone} title={verdict.detail}>
      {verdict.word}
    </span>
  );
}
