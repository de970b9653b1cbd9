import { useEffect, useState } from 'react';
import type { RetentionPreview } from '../../../../shared/contract';
import type { SubclientSettings } from '../../../../shared/domain/backup-set';
import { describeError } from '../../../api/api-error';
import { useStore } from '../../../store';
import { PREVIEW_DEBOUNCE_MS } from '../rules/use-rule-preview';

export type RetentionPreviewState =
  | { phase: 'loading' }
  | { phase: 'ready'; preview: RetentionPreview }
  /** The engine refused the policy (it keeps nothing, the time zone is unknown …). */
  | { phase: 'invalid'; message: string };

/**
 * What prune would keep of this subclient's points with the retention being edited, asked of the
 * engine a moment after the last keystroke. The last answer stays on screen while the next one
 * is on its way, so the line does not flicker as the administrator types.
 */
export function useRetentionPreview(
  backupSetId: string,
  subclientId: string,
  retention: SubclientSettings['retention'],
  timezone: string,
): RetentionPreviewState {
  const previewRetention = useStore((s) => s.previewRetention);
  const key = JSON.stringify([backupSetId, subclientId, retention, timezone]);
  const [answer, setAnswer] = useState<RetentionPreviewState>({ phase: 'loading' });

  useEffect(() => {
    const request = JSON.parse(key) as [string, string, SubclientSettings['retention'], string];
    const [setId, id, policy, zone] = request;
    let current = true;
    const timer = setTimeout(() => {
      previewRetention({ backupSetId: setId, subclientId: id, retention: policy, timezone: zone })
        .then(
          (preview) => ({ phase: 'ready', preview }) as const,
          (err: unknown) => ({ phase: 'invalid', message: describeError(err) }) as const,
        )
        .then((next) => {
          if (current) setAnswer(next);
        });
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key, previewRetention]);

  return answer;
}
