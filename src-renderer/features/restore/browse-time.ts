import type { RestorePoint } from '../../../shared/domain/jobs';
import type { BrowseOptions } from '../../store/restore-slice';

/**
 * FIG. 11 "Browse data before: date, time, time zone". The administrator thinks in the time zone
 * of the incident ("before 17:24 in New York"), not in the console's: the moment is computed in
 * the chosen zone and sent to the engine as ISO 8601 with that zone's offset.
 */

/** The time zones the browser knows (IANA names), UTC first; a short list if Intl lacks them. */
export function timeZoneNames(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?(key: 'timeZone'): string[] };
  const names = intl.supportedValuesOf?.('timeZone') ?? [];
  const all = new Set(['UTC', localTimeZone(), ...names]);
  return [...all];
}

export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Minutes east of UTC of `timeZone` at the instant `epochMs`. */
export function zoneOffsetMinutes(timeZone: string, epochMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((part) => part.type === type)?.value ?? '0');
  const wallAsUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return Math.round((wallAsUtc - Math.floor(epochMs / 1000) * 1000) / 60_000);
}

/** "+05:30", "-04:00", "+00:00" */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${sign}${hh}:${mm}`;
}

/** "(GMT-05:00) America/New_York", the way FIG. 11 lists zones; the offset as of `atMs`. */
export function timeZoneLabel(timeZone: string, atMs = Date.now()): string {
  return `(GMT${formatOffset(zoneOffsetMinutes(timeZone, atMs))}) ${timeZone.replace(/_/g, ' ')}`;
}

/**
 * The wall-clock time `date` ("2026-11-22") `time` ("17:24" or "17:24:30") in `timeZone`, as ISO
 * 8601 with that zone's offset: "2026-11-22T17:24:00-05:00". Undefined when a field is not a
 * valid date or time. In a daylight-saving gap the offset after the change applies.
 */
export function zonedIso(date: string, time: string, timeZone: string): string | undefined {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (d === null || t === null) return undefined;
  const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const [hour, minute, second] = [Number(t[1]), Number(t[2]), Number(t[3] ?? '0')];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(wallAsUtc).getUTCDate() !== day) return undefined; // 31 February
  // The offset depends on the instant, which depends on the offset: two rounds settle it.
  let offset = zoneOffsetMinutes(timeZone, wallAsUtc);
  offset = zoneOffsetMinutes(timeZone, wallAsUtc - offset * 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${formatOffset(offset)}`;
}

/**
 * A moment typed to the second, widened to the end of that second: points are stamped to the
 * millisecond, so "at or before 03:50:00" must include the point of 03:50:00.073 (review M7).
 * `zonedIso` output in, the same with ".999" before the offset out.
 */
export function throughEndOfSecond(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?=[+-]\d{2}:\d{2}$|Z$)/.test(iso)
    ? `${iso.slice(0, 19)}.999${iso.slice(19)}`
    : iso;
}

/** Today's date and the current minute in `timeZone`, to prefill the fields. */
export function nowInZone(timeZone: string, nowMs = Date.now()): { date: string; time: string } {
  const shifted = new Date(nowMs + zoneOffsetMinutes(timeZone, nowMs) * 60_000);
  const iso = shifted.toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 16) };
}

/** The newest point at or before `atIso` (points come newest first); undefined when none. */
export function pointAtOrBefore(points: RestorePoint[], atIso: string): RestorePoint | undefined {
  const at = Date.parse(atIso);
  if (Number.isNaN(at)) return undefined;
  let best: RestorePoint | undefined;
  for (const point of points) {
    const time = Date.parse(point.time);
    if (Number.isNaN(time) || time > at) continue;
    if (best === undefined || time > Date.parse(best.time)) best = point;
  }
  return best;
}

/** Short local date and time with seconds (two points can be a minute apart). */
export function formatPointTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** One line for a point in menus: time · Full/Incremental · guest OS. */
export function pointSummary(point: RestorePoint): string {
  const parts = [formatPointTime(point.time), point.type === 'full' ? 'Full' : 'Incremental'];
  const os = point.guestOs?.name ?? point.guestOs?.family;
  if (os !== undefined && os !== 'other') parts.push(os);
  return parts.join(' · ');
}

/**
 * What the Restore page's header says is shown, from the point actually shown (review M8: it
 * read "latest data" over an older point opened from the VM drawer): the browse time when the
 * point predates it, "latest data" for the newest point, else that point's own time.
 */
export function browseScopeLabel(
  options: Pick<BrowseOptions, 'at' | 'timeZone'>,
  point: RestorePoint | undefined,
  points: readonly RestorePoint[],
): string {
  const at = options.at;
  const before =
    at === undefined
      ? undefined
      : `data before ${at.slice(0, 19).replace('T', ' ')} ${timeZoneLabel(options.timeZone, Date.parse(at))}`;
  if (point === undefined) return before ?? 'latest data';
  if (before !== undefined && Date.parse(point.time) <= Date.parse(at!)) return before;
  const newest = points.reduce<RestorePoint | undefined>(
    (best, p) => (best === undefined || Date.parse(p.time) > Date.parse(best.time) ? p : best),
    undefined,
  );
  return point.id === newest?.id ? 'latest data' : `data of ${formatPointTime(point.time)}`;
}
