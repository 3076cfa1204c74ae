/**
 * The one duration formatter of every view (live progress, status, plan, reports, drills):
 * pretty-ms, rounded first so a carry never shows as "1m60s" or "1 h 60 min".
 */
import prettyMs from 'pretty-ms';

/**
 * 5.25 → "5.3s", 90 → "1m 30s", 3599.7 → "1h", 7260 → "2h 1m", 172805 → "2d".
 * Below ten seconds one decimal is kept (steps that take a second); above, whole seconds and
 * at most two units (an ETA of "2h 1m" reads better than "2h 1m 3s").
 */
export function formatDuration(seconds: number | null | undefined, none = '-'): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return none;
  if (seconds < 0.05) return '0s';
  if (seconds < 10) return prettyMs(Math.round(seconds * 10) * 100, { secondsDecimalDigits: 1 });
  return prettyMs(Math.round(seconds) * 1000, { unitCount: 2 });
}
