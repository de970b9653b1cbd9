import type { TestProject } from 'vitest/node';
import { labStatus, startLab, stopLab } from './lab';
import type { LabInfo } from './lab-info';

/**
 * Vitest global setup of the integration and e2e projects: starts the lab (or reuses a healthy
 * one, e.g. from `make lab`) and hands its LabInfo to tests via `inject('lab')`. Only a lab this
 * setup started is stopped afterwards, and only once the last project using it is done.
 */

interface SharedLab {
  info: Promise<LabInfo>;
  startedHere: boolean;
  users: number;
}

// Both projects may load this module separately in one vitest process: share through globalThis.
const KEY = Symbol.for('hyperkeep.lab.globalSetup');
const registry = globalThis as unknown as Record<symbol, SharedLab | undefined>;

async function acquire(): Promise<SharedLab> {
  let shared = registry[KEY];
  if (!shared) {
    const wasRunning = (await labStatus()).state === 'running';
    shared = registry[KEY] ?? { info: startLab(), startedHere: !wasRunning, users: 0 };
    registry[KEY] = shared;
  }
  shared.users += 1;
  return shared;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = await acquire();
  project.provide('lab', await shared.info);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0 || !shared.startedHere) return;
    registry[KEY] = undefined;
    await stopLab();
  };
}
