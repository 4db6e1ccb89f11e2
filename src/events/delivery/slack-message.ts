import type { RefitEvent } from '../../domain/entities.js';

/** The event types the Slack-style sink posts about by default (promotions are opt-in). */
export const DEFAULT_SLACK_EVENTS: readonly string[] = [
  'model.retrain.failed',
  'model.retrain.completed',
  'model.canary.aborted',
  'model.rollback',
  'model.drift.detected',
  'model.performance.degraded',
];

// Metrics in the order a person looks for them; the first both sides have is shown.
const METRIC_ORDER = ['auc', 'f1', 'accuracy', 'logLoss', 'r2', 'rmse', 'mae'];

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function record(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** `auc 0.8123 → 0.7911`, or a single value, or null when there is nothing to show. */
function metricChange(before: Record<string, unknown> | null, after: Record<string, unknown> | null, preferred: string | null): string | null {
  const keys = [...(preferred ? [preferred] : []), ...METRIC_ORDER, ...Object.keys(after ?? {}), ...Object.keys(before ?? {})];
  for (const k of keys) {
    const a = num(before?.[k]);
    const b = num(after?.[k]);
    if (a !== null && b !== null) return `${k} ${a.toFixed(4)} → ${b.toFixed(4)}`;
    if (b !== null) return `${k} ${b.toFixed(4)}`;
  }
  return null;
}

function oneLine(text: string, max = 300): string {
  // Sentences are closed here, so a reason's own final period goes.
  const t = text.replace(/\s+/g, ' ').trim().replace(/\.+$/, '');
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/**
 * A short message for a person, in Slack's mrkdwn (`*bold*`, `<url|text>`): the model, what
 * happened, the versions, the metric before → after, and a link to the model page when the public
 * URL is known. Null for events that need no person (e.g. a retrain that was promoted: the
 * promotion has its own message).
 */
export function slackMessage(e: RefitEvent, publicUrl: string | null): string | null {
  const p = e.payload;
  const model = str(p.modelId) ?? '(unknown model)';
  const prev = str(p.previousVersion);
  const next = str(p.newVersion);
  const metrics = record(p.metrics);
  const reason = str(p.reason) ?? str(p.decision);
  let text: string;
  switch (e.eventType) {
    case 'model.retrain.failed': {
      const error = str(p.error) ?? 'unknown error';
      text = `:x: Retrain of *${model}* failed: ${oneLine(error)}.${prev ? ` Version ${prev} stays active.` : ' No version is active yet.'}`;
      break;
    }
    case 'model.retrain.completed': {
      const decision = str(p.decision) ?? '';
      if (!decision.startsWith('rejected')) return null;
      const change = metricChange(record(p.previousMetrics), metrics, str(p.primaryMetric));
      const why = oneLine(decision.replace(/^rejected:\s*/, ''));
      text = `:no_entry: Retrain of *${model}* produced ${next ?? 'a candidate'}, which was rejected${prev ? `; ${prev} stays active` : ''}.${change ? ` ${change}.` : ''}${why ? ` Why: ${why}.` : ''}`;
      break;
    }
    case 'model.canary.aborted':
      text = `:no_entry: The canary of *${model}* ${next ?? ''} was stopped; ${prev ?? 'the active version'} keeps serving.${reason ? ` ${oneLine(reason)}` : ''}`;
      break;
    case 'model.rollback': {
      const how = p.automatic === true ? 'automatically rolled back' : 'rolled back';
      const change = metricChange(null, metrics, null);
      text = `:rewind: *${model}* was ${how} from ${prev ?? '(none)'} to ${next ?? '(none)'}.${reason ? ` Reason: ${oneLine(reason)}.` : ''}${change && next ? ` ${next}: ${change}.` : ''}`;
      break;
    }
    case 'model.drift.detected':
      text = `:warning: Drift detected on *${model}*${prev ? ` (version ${prev})` : ''}.${reason ? ` ${oneLine(reason)}` : ''}`;
      break;
    case 'model.performance.degraded':
      text = `:chart_with_downwards_trend: Live performance of *${model}*${prev ? ` (version ${prev})` : ''} degraded.${reason ? ` ${oneLine(reason)}` : ''}`;
      break;
    case 'model.promoted': {
      const change = metricChange(record(p.previousMetrics), metrics, null);
      text = `:white_check_mark: *${model}* ${next ?? ''} is now active${prev ? ` (was ${prev})` : ''}.${change ? ` ${change}.` : ''}`;
      break;
    }
    default:
      return null;
  }
  if (publicUrl) text += ` <${publicUrl.replace(/\/+$/, '')}/models/${encodeURIComponent(model)}|Open ${model}>`;
  return text.replace(/ {2,}/g, ' ').trim();
}
