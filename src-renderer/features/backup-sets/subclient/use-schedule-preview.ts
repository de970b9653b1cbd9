import { useEffect, useState } from 'react';
import { useStore } from '../../../store';
import { fieldErrorsFrom } from '../field-errors';
import { PREVIEW_DEBOUNCE_MS } from '../rules/use-rule-preview';

export type SchedulePreview =
  | { phase: 'loading' }
  | { phase: 'ready'; runs: string[] }
  /** `field` is 'expression' or 'timezone': which box the message belongs next to. */
  | { phase: 'invalid'; field: 'expression' | 'timezone'; message: string };

/** The next runs of a cron expression in a time zone, as the engine's scheduler computes them. */
export function useSchedulePreview(
  expression: string,
  timezone: string,
  count = 5,
): SchedulePreview {
  const previewSchedule = useStore((s) => s.previewSchedule);
  const key = JSON.stringify([expression, timezone, count]);
  const [answer, setAnswer] = useState<{ key: string; preview: SchedulePreview } | null>(null);

  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      previewSchedule({ expression, timezone, count }).then(
        (runs) => {
          if (current) setAnswer({ key, preview: { phase: 'ready', runs } });
        },
        (err: unknown) => {
          if (!current) return;
          const errors = fieldErrorsFrom(err);
          const [field, message] = Object.entries(errors.fields)[0] ?? [
            'expression',
            errors.general ?? 'Invalid schedule',
          ];
          setAnswer({
            key,
            preview: {
              phase: 'invalid',
              field: field.endsWith('timezone') ? 'timezone' : 'expression',
              message,
            },
          });
        },
      );
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key, expression, timezone, count, previewSchedule]);

  return answer === null || answer.key !== key ? { phase: 'loading' } : answer.preview;
}
