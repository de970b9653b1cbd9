import { useEffect, useMemo, useState } from 'react';
import type { RulePreview } from '../../../../shared/contract';
import type { SubclientContent } from '../../../../shared/domain/rules';
import { useStore } from '../../../store';
import { errorsUnder, fieldErrorsFrom } from '../field-errors';
import { previewableContent, remapPreviewField } from './rule-text';

/** Typing in a pattern asks the engine once the administrator pauses, not at every key. */
export const PREVIEW_DEBOUNCE_MS = 400;

export type RulePreviewState =
  | { phase: 'empty' }
  | { phase: 'loading'; previous: RulePreview | null }
  | { phase: 'ready'; result: RulePreview }
  | { phase: 'invalid'; fieldErrors: Record<string, string> }
  | { phase: 'failed'; message: string };

interface Answer {
  key: string;
  state: Exclude<RulePreviewState, { phase: 'empty' } | { phase: 'loading' }>;
}

/**
 * FIG. 4 "Configure", live: which VMs of the set the rules match right now, according to the
 * engine (the same evaluator discovery uses). Incomplete rules are left out; the engine's field
 * errors ('rules.2.pattern') are mapped back to the editor's rows.
 */
export function useRulePreview(
  backupSetId: string | null,
  content: SubclientContent,
): RulePreviewState {
  const previewRules = useStore((s) => s.previewRules);
  const prepared = useMemo(() => previewableContent(content), [content]);
  const key = JSON.stringify([backupSetId, prepared.content]);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const nothingToAsk = backupSetId === null || prepared.content.rules.length === 0;

  useEffect(() => {
    if (nothingToAsk) return;
    let current = true;
    const timer = setTimeout(() => {
      previewRules({ backupSetId, content: prepared.content }).then(
        (result) => {
          if (current) setAnswer({ key, state: { phase: 'ready', result } });
        },
        (err: unknown) => {
          if (!current) return;
          const errors = fieldErrorsFrom(err);
          const fields = errorsUnder(errors.fields, 'content.');
          const fieldErrors = Object.fromEntries(
            Object.entries(fields).map(([field, message]) => [
              remapPreviewField(field, prepared.ruleIndex, prepared.exclusionIndex),
              message,
            ]),
          );
          setAnswer({
            key,
            state:
              Object.keys(fieldErrors).length > 0
                ? { phase: 'invalid', fieldErrors }
                : { phase: 'failed', message: errors.general ?? Object.values(errors.fields)[0]! },
          });
        },
      );
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key, nothingToAsk, backupSetId, prepared, previewRules]);

  if (nothingToAsk) return { phase: 'empty' };
  if (answer === null || answer.key !== key) {
    const previous = answer?.state.phase === 'ready' ? answer.state.result : null;
    return { phase: 'loading', previous };
  }
  return answer.state;
}
