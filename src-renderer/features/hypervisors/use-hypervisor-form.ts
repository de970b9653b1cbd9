import { useState } from 'react';
import type { RequestOf } from '../../../shared/contract';
import {
  HypervisorInput,
  HypervisorUpdate,
  type ConnectionTestResult,
  type Hypervisor,
  type HypervisorType,
} from '../../../shared/domain/hypervisor';
import { uriShapeProblem } from '../../../shared/domain/hypervisor-uri';
import { describeError } from '../../api/api-error';
import { useStore } from '../../store';
import { formErrorsFrom, formErrorsFromZod, type FormErrors } from './form-errors';

export interface FormValues {
  name: string;
  type: HypervisorType;
  uri: string;
  username: string;
  password: string;
  /** vSphere: the SHA-256 fingerprint of the server certificate the administrator accepted. */
  certificateFingerprint: string;
}

export type TestState =
  | { phase: 'idle' }
  | { phase: 'testing'; uri: string }
  | { phase: 'done'; result: ConnectionTestResult }
  | { phase: 'failed'; message: string };

const EMPTY_ERRORS: FormErrors = { fields: {} };

function initialValues(existing: Hypervisor | undefined): FormValues {
  return {
    name: existing?.name ?? '',
    type: existing?.type ?? 'libvirt',
    uri: existing?.uri ?? '',
    username: existing?.username ?? '',
    password: '',
    certificateFingerprint: existing?.certificateFingerprint ?? '',
  };
}

/** What the typed values ask the engine to test; an empty password never overrides a stored one. */
function testRequest(values: FormValues, existing: Hypervisor | undefined) {
  const unchanged =
    existing !== undefined &&
    values.uri.trim() === existing.uri &&
    values.username.trim() === (existing.username ?? '') &&
    values.password === '' &&
    values.certificateFingerprint === (existing.certificateFingerprint ?? '');
  // Testing by id lets the engine use the stored password, which the console never sees.
  if (unchanged) return { id: existing.id };
  return HypervisorInput.safeParse({
    // The name plays no part in connecting; the engine's schema still wants one.
    name: values.name.trim() || 'connection test',
    type: values.type,
    uri: values.uri,
    username: values.username.trim() || undefined,
    password: values.password === '' ? undefined : values.password,
    certificateFingerprint: values.certificateFingerprint || undefined,
  });
}

/** State and actions of the Add/Edit hypervisor dialog, apart from its layout. */
export function useHypervisorForm(existing: Hypervisor | undefined, onSaved: () => void) {
  const addHypervisor = useStore((s) => s.addHypervisor);
  const updateHypervisor = useStore((s) => s.updateHypervisor);
  const testHypervisor = useStore((s) => s.testHypervisor);
  const [values, setValues] = useState<FormValues>(() => initialValues(existing));
  const [errors, setErrors] = useState<FormErrors>(EMPTY_ERRORS);
  const [saving, setSaving] = useState(false);
  const [test, setTest] = useState<TestState>({ phase: 'idle' });
  /** The URI's shape is judged once the field was left (or Save pressed), not at every key. */
  const [uriLeft, setUriLeft] = useState(false);
  /** Save was pressed after a failed test: "Save without a working connection?" is open. */
  const [confirmingUntested, setConfirmingUntested] = useState(false);
  const shapeProblem = uriShapeProblem(values.type, values.uri);
  const uriError = errors.fields.uri ?? (uriLeft ? shapeProblem : undefined);
  /** Why the connection test of the values as they are now failed, if it did. */
  const failedTest =
    test.phase === 'failed'
      ? test.message
      : test.phase === 'done' && !test.result.ok
        ? (test.result.error?.message ?? 'The connection test failed.')
        : undefined;

  function change<K extends keyof FormValues>(field: K, value: FormValues[K]) {
    setValues((v) => ({ ...v, [field]: value }));
    // An edited field's error is about the old value; connection results may be too.
    setErrors((e) => ({ general: e.general, fields: { ...e.fields, [field]: undefined } }));
    if (field === 'uri' || field === 'username' || field === 'password') setTest({ phase: 'idle' });
    if (field === 'uri' || field === 'type') setUriLeft(false);
  }

  /** Pins the certificate the server presented and tests again with it. */
  function acceptCertificate(fingerprint: string) {
    const next = { ...values, certificateFingerprint: fingerprint };
    setValues(next);
    void runTest(next);
  }

  async function runTest(current: FormValues = values) {
    const request = testRequest(current, existing);
    let parsed: RequestOf<'hypervisor.test'>;
    if ('success' in request) {
      if (!request.success) {
        setErrors(formErrorsFromZod(request.error));
        return;
      }
      parsed = request.data;
    } else {
      parsed = request;
    }
    setErrors(EMPTY_ERRORS);
    setTest({ phase: 'testing', uri: current.uri.trim() });
    try {
      const result = await testHypervisor(parsed);
      setTest({ phase: 'done', result });
      // A URI that does not parse can never be saved: its error belongs next to the field.
      if (result.error?.code === 'INVALID_URI')
        setErrors({ fields: { uri: result.error.message } });
    } catch (err) {
      const formErrors = formErrorsFrom(err);
      setTest({ phase: 'failed', message: describeError(err) });
      setErrors({ fields: formErrors.fields });
    }
  }

  /**
   * Save as the CLI adds: a URI that cannot parse is not saved at all, and after a failed test the
   * administrator confirms registering a host that does not answer (`--no-test` in the CLI).
   */
  function requestSave() {
    if (shapeProblem !== undefined || errors.fields.uri !== undefined) {
      setUriLeft(true);
      return;
    }
    if (failedTest !== undefined) setConfirmingUntested(true);
    else void save();
  }

  async function save() {
    setConfirmingUntested(false);
    const parsed =
      existing === undefined
        ? HypervisorInput.safeParse({
            name: values.name,
            type: values.type,
            uri: values.uri,
            username: values.username.trim() || undefined,
            password: values.password === '' ? undefined : values.password,
            certificateFingerprint: values.certificateFingerprint || undefined,
          })
        : HypervisorUpdate.safeParse({
            id: existing.id,
            name: values.name,
            uri: values.uri,
            // '' clears a user name that was set; an empty password keeps the stored one.
            username: values.username.trim(),
            password: values.password === '' ? undefined : values.password,
            certificateFingerprint: values.certificateFingerprint || undefined,
          });
    if (!parsed.success) {
      setErrors(formErrorsFromZod(parsed.error));
      return;
    }
    setSaving(true);
    setErrors(EMPTY_ERRORS);
    try {
      if (existing === undefined) await addHypervisor(parsed.data as HypervisorInput);
      else await updateHypervisor(parsed.data as HypervisorUpdate);
      onSaved();
    } catch (err) {
      setErrors(formErrorsFrom(err));
    } finally {
      setSaving(false);
    }
  }

  return {
    values,
    change,
    errors,
    saving,
    test,
    runTest,
    save,
    requestSave,
    acceptCertificate,
    uriError,
    leaveUri: () => setUriLeft(true),
    failedTest,
    confirmingUntested,
    keepEditing: () => setConfirmingUntested(false),
  };
}
