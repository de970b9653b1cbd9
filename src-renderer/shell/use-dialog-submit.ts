import { useState, type FormEvent } from 'react';
import { ApiError, describeError } from '../api/api-error';

/** Messages under a dialog's fields, by field name. */
export type FieldErrors<F extends string> = Partial<Record<F, string>>;

/**
 * The submit of a dialog that asks the engine for something (the restore dialogs, the change of
 * a repository's passphrase): the fields are checked here first, then `start` runs; the engine's refusal goes under the field it names (`fieldOf` may
 * name one the engine did not, e.g. the destination of an ALREADY_EXISTS) or above the buttons.
 * `busy` stays on after a success, as the dialog closes.
 */
export function useDialogSubmit<F extends string>(
  fields: readonly F[],
  fieldOf: (err: ApiError) => string | undefined = () => undefined,
) {
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(
    event: FormEvent,
    validate: () => FieldErrors<F>,
    start: () => Promise<void>,
  ): Promise<void> {
    event.preventDefault();
    if (busy) return;
    const found = validate();
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    setGeneral(null);
    try {
      await start();
    } catch (err) {
      const field =
        err instanceof ApiError ? String(err.details?.['field'] ?? fieldOf(err) ?? '') : '';
      if ((fields as readonly string[]).includes(field))
        setErrors({ [field]: describeError(err) } as FieldErrors<F>);
      else setGeneral(describeError(err));
      setBusy(false);
    }
  }

  return { errors, setErrors, general, busy, submit };
}
