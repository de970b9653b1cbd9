/**
 * A recovery test's result (`restore.test`, RecoveryTestResult in the engine) in words: its raw
 * keys ("Heartbeat: kept running", "Seconds: 180") did not say whether the VM came up, nor that
 * "kept running" only means its power state was watched.
 */
export interface RecoveryTestOutcome {
  /** The test copy's name; the engine removed it (and its disks) after the test. */
  testVm: string;
  point: string;
  heartbeat: 'guest agent' | 'kept running';
  seconds: number;
}

/** The result of a recovery test, or undefined for any other result. */
export function recoveryTestOutcome(
  result: Record<string, unknown> | undefined,
): RecoveryTestOutcome | undefined {
  if (result === undefined) return undefined;
  const { testVm, point, heartbeat, seconds } = result;
  if (typeof testVm !== 'string' || typeof point !== 'string' || typeof seconds !== 'number')
    return undefined;
  if (heartbeat !== 'guest agent' && heartbeat !== 'kept running') return undefined;
  return { testVm, point, heartbeat, seconds };
}

/**
 * "came up — its guest agent answered after 23 s", or, for a guest without an agent channel,
 * "kept running for 180 s (no guest agent: only its power state was checked)".
 */
export function recoveryTestOutcomeText(outcome: RecoveryTestOutcome): string {
  return outcome.heartbeat === 'guest agent'
    ? `came up — its guest agent answered after ${outcome.seconds} s`
    : `kept running for ${outcome.seconds} s (no guest agent: only its power state was checked)`;
}

/** The rows of the Jobs page's Result table for a recovery test. */
export function recoveryTestRows(outcome: RecoveryTestOutcome): [string, string][] {
  return [
    ['Outcome', recoveryTestOutcomeText(outcome)],
    ['Test copy', `${outcome.testVm} (removed after the test)`],
    ['Restore point', outcome.point],
  ];
}

/** One sentence where the test was started (the VM drawer). */
export function recoveryTestHeadline(outcome: RecoveryTestOutcome): string {
  return `Passed: the copy ${recoveryTestOutcomeText(outcome)}. ${outcome.testVm} was removed again.`;
}
