import { useCallback, useEffect, useRef, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import ArrowBackIcon from '@mui/icons-material/ArrowBack';
import TuneIcon from '@mui/icons-material/Tune';
import { describeError } from '../../api/api-error';
import { PageHeader } from '../../shell/PageHeader';
import { useStore } from '../../store';
import type { BrowseOptions, RestoreTarget } from '../../store/restore-slice';
import { StartedJobsList } from '../jobs/StartedJobsList';
import { BrowseOptionsDialog } from './BrowseOptionsDialog';
import { BrowseWindow } from './BrowseWindow';
import { browseScopeLabel, formatPointTime, pointAtOrBefore } from './browse-time';
import { VmPicker } from './VmPicker';
import { VmDisksPanel } from './VmDisksPanel';
import { VolumesPanel } from './VolumesPanel';
import { useResolvedPoint } from './use-resolved-point';

const INTENT_LABELS = {
  files: 'Individual files/folders',
  volume: 'Entire volume',
  vm: 'VMs/virtual disks',
} as const;

/** FIG. 9/11–14: pick a VM, say what to browse, then restore files, a volume, a disk or the VM. */
export function RestorePage() {
  const target = useStore((s) => s.restoreTarget);
  const options = useStore((s) => s.browseOptions);
  const openRestore = useStore((s) => s.openRestore);
  const jobIds = useStore((s) => s.restoreJobIds);
  const dismissJob = useStore((s) => s.dismissRestoreJob);
  // Back from a VM: the button pressed is gone with the VM's view, so the focus goes to the
  // list's heading rather than to <body> (review P1).
  const [returned, setReturned] = useState(false);
  const jobsList = useRef<HTMLDivElement>(null);
  // The newest job is first, and focusable (StartedJobsList's focusAdded).
  const focusNewestJob = useCallback(
    () => jobsList.current?.querySelector<HTMLElement>('[role="status"]')?.focus(),
    [],
  );

  return (
    <>
      <PageHeader
        title="Restore"
        subtitle="Bring back files and folders, a volume, a virtual disk or a whole virtual machine from any restore point."
      />
      <div ref={jobsList}>
        <StartedJobsList
          jobIds={jobIds}
          label="Restores started here"
          onDismiss={dismissJob}
          focusAdded
        />
      </div>
      {target === null ? (
        <VmPicker
          focusHeading={returned}
          onPick={(vm) => openRestore({ vmUuid: vm.uuid, vmName: vm.name })}
        />
      ) : (
        <RestoreTargetView
          key={target.vmUuid}
          target={target}
          options={options}
          onBack={() => setReturned(true)}
          onRestoreStarted={focusNewestJob}
        />
      )}
    </>
  );
}

function RestoreTargetView({
  target,
  options,
  onBack,
  onRestoreStarted,
}: {
  target: RestoreTarget;
  options: BrowseOptions | null;
  /** Said before the view goes back to the VM list. */
  onBack(): void;
  onRestoreStarted(): void;
}) {
  const entry = useStore((s) => s.pointsByVm[target.vmUuid]);
  const loadPoints = useStore((s) => s.loadPoints);
  const setBrowseOptions = useStore((s) => s.setBrowseOptions);
  const closeTarget = useStore((s) => s.closeRestoreTarget);
  const pointId = useStore((s) => s.restorePointId);
  const setPoint = useStore((s) => s.setRestorePoint);
  // The Browse options open by themselves when a VM was just picked.
  const [reopened, setEditing] = useState(false);
  const editing = options === null || reopened;
  const heading = useRef<HTMLHeadingElement>(null);
  // Bumped on OK in the Browse options: the VM's heading then takes the focus, after the dialog
  // gave it back to its opener (gone when the dialog opened by itself) — review P1.
  const [confirmed, setConfirmed] = useState(0);
  useEffect(() => {
    if (confirmed > 0) heading.current?.focus();
  }, [confirmed]);
  const back = () => {
    onBack();
    closeTarget();
  };
  const points = entry?.points ?? [];
  const resolution = useResolvedPoint(target.vmUuid, points, options, pointId);

  useEffect(() => {
    void loadPoints(target.vmUuid);
  }, [target.vmUuid, loadPoints]);

  useEffect(() => {
    if (resolution.pointId !== undefined && resolution.pointId !== pointId)
      setPoint(resolution.pointId);
  }, [resolution.pointId, pointId, setPoint]);

  const point = points.find((p) => p.id === pointId);
  const loadingPoints = entry === undefined || (entry.status === 'loading' && points.length === 0);

  return (
    <>
      <Paper variant="outlined" sx={{ p: 1.5, mb: 2 }}>
        <Stack direction="row" sx={{ alignItems: 'center', gap: 2, flexWrap: 'wrap' }}>
          <Button startIcon={<ArrowBackIcon />} onClick={back}>
            All VMs
          </Button>
          <Typography
            ref={heading}
            tabIndex={-1}
            variant="h6"
            component="h2"
            sx={{ flex: '1 1 auto', outline: 'none' }}
          >
            {target.vmName}
          </Typography>
          {options !== null && (
            <Typography variant="body2" color="text.secondary">
              {INTENT_LABELS[options.intent]} · {browseScopeLabel(options, point, points)}
            </Typography>
          )}
          <Button startIcon={<TuneIcon />} variant="outlined" onClick={() => setEditing(true)}>
            Browse options…
          </Button>
        </Stack>
      </Paper>
      {loadingPoints && <LinearProgress aria-label="Loading restore points" />}
      {entry?.error != null && (
        <Alert severity="error" sx={{ mb: 2 }}>
          Could not list the restore points of {target.vmName}: {describeError(entry.error)}
        </Alert>
      )}
      {entry?.status === 'ready' && points.length === 0 && (
        <Alert severity="info">{target.vmName} has no restore point yet.</Alert>
      )}
      {resolution.error !== null && options !== null && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {resolution.error}
        </Alert>
      )}
      {options !== null && point !== undefined && (
        <>
          {options.at !== undefined && pointAtOrBefore(points, options.at)?.id === point.id && (
            <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
              Newest point before the chosen moment: {formatPointTime(point.time)}.
            </Typography>
          )}
          {options.intent === 'files' && (
            <BrowseWindow
              vmUuid={target.vmUuid}
              point={point}
              points={points}
              onRestoreStarted={onRestoreStarted}
            />
          )}
          {options.intent === 'volume' && (
            <VolumesPanel vmUuid={target.vmUuid} point={point} points={points} />
          )}
          {options.intent === 'vm' && (
            <VmDisksPanel vmUuid={target.vmUuid} point={point} points={points} />
          )}
        </>
      )}
      {editing && !loadingPoints && (
        <BrowseOptionsDialog
          vmName={target.vmName}
          points={points}
          initial={options}
          onOk={(next) => {
            setBrowseOptions(next);
            setEditing(false);
            setConfirmed((n) => n + 1);
          }}
          onCancel={() => {
            setEditing(false);
            if (options === null) back();
          }}
        />
      )}
    </>
  );
}
