import { useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import BackupIcon from '@mui/icons-material/Backup';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { describeError } from '../../api/api-error';
import { useStore } from '../../store';
import { isActive } from '../../store/jobs-slice';
import { RestorePointsTable } from './RestorePointsTable';
import { useVmJobStatus } from './use-vm-job-status';

/** "Back up now", the last job started here (live), and the VM's restore points. */
export function VmBackupsSection({ vm }: { vm: VirtualMachine }) {
  // A job started here takes the focus: "Back up now" is disabled while it runs, and a deleted
  // point's row (with its button) goes when its deletion ends.
  const job = useVmJobStatus(vm.uuid);

  return (
    <Box>
      <BackUpNow vm={vm} onStarted={(jobId) => job.started(jobId, true)} />
      {job.status({ mt: 2 })}
      <RestorePointsTable vm={vm} onJobStarted={job.started} />
    </Box>
  );
}

function BackUpNow({ vm, onStarted }: { vm: VirtualMachine; onStarted(jobId: string): void }) {
  const startBackup = useStore((s) => s.startBackup);
  const notify = useStore((s) => s.notify);
  const running = useStore((s) => {
    const id = s.lastJobForVm[vm.uuid];
    const job = id === undefined ? undefined : s.jobsById[id];
    return job !== undefined && job.kind === 'backup' && isActive(job);
  });
  const [full, setFull] = useState(false);
  const [starting, setStarting] = useState(false);

  async function start() {
    setStarting(true);
    try {
      onStarted((await startBackup({ vm: vm.uuid, full })).id);
    } catch (err) {
      notify('error', `Could not start the backup of ${vm.name}: ${describeError(err)}`);
    } finally {
      setStarting(false);
    }
  }

  return (
    <Stack direction="row" sx={{ alignItems: 'center', gap: 2, flexWrap: 'wrap' }}>
      <Button
        variant="contained"
        startIcon={<BackupIcon />}
        onClick={() => void start()}
        disabled={starting || running}
      >
        {running ? 'Backing up…' : 'Back up now'}
      </Button>
      <Tooltip title="Copy every used block again instead of only what changed since the last point">
        <FormControlLabel
          control={
            <Checkbox
              checked={full}
              onChange={(e) => setFull(e.target.checked)}
              disabled={starting || running}
            />
          }
          label="Full backup"
        />
      </Tooltip>
    </Stack>
  );
}
