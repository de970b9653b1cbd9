import { useState } from 'react';
import Box from '@mui/material/Box';
import type { SxProps, Theme } from '@mui/material/styles';
import { useStore } from '../../store';
import { isActive } from '../../store/jobs-slice';
import { JobInlineStatus } from '../jobs/JobInlineStatus';

/**
 * The last job started for a VM (a backup, a deletion), followed where it was started: it can
 * be dismissed, and takes the keyboard focus when `started(jobId, true)` says it was begun here
 * (the button that began it is disabled, or its row is about to go). A job that had already ended
 * when the view opened is old news and not shown (it sat above the restore points for days,
 * review 3); one still running is. With `onlyNew`, not even a running one is.
 */
export function useVmJobStatus(vmUuid: string, options: { onlyNew?: boolean } = {}) {
  const lastJobId = useStore((s) => s.lastJobForVm[vmUuid]);
  const endedAtOpen = useStore((s) => {
    const job = lastJobId === undefined ? undefined : s.jobsById[lastJobId];
    return job !== undefined && !isActive(job);
  });
  const [before] = useState(options.onlyNew || endedAtOpen ? lastJobId : undefined);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const [startedHere, setStartedHere] = useState<string | null>(null);
  const shown =
    lastJobId !== undefined && lastJobId !== before && lastJobId !== dismissed
      ? lastJobId
      : undefined;
  return {
    /** The status panel, or null when there is nothing to show. */
    status: (sx: SxProps<Theme>) =>
      shown === undefined ? null : (
        <Box sx={sx}>
          <JobInlineStatus
            jobId={shown}
            onDismiss={() => setDismissed(shown)}
            autoFocus={shown === startedHere}
          />
        </Box>
      ),
    started(jobId: string | null, takeFocus: boolean): void {
      setDismissed(null);
      if (takeFocus) setStartedHere(jobId);
    },
  };
}
