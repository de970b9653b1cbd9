import { useEffect, useMemo, useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import IconButton from '@mui/material/IconButton';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import CloseIcon from '@mui/icons-material/Close';
import RadioButtonUncheckedIcon from '@mui/icons-material/RadioButtonUnchecked';
import { useStore } from '../../store';
import { useBackupStatusData } from '../vms/use-backup-status';
import {
  gettingStartedSteps,
  isGettingStartedDismissed,
  knownCount,
  rememberGettingStartedDismissed,
  type GettingStartedStep,
  type GettingStartedStepId,
} from './getting-started';

/**
 * A first-run checklist on the dashboard: hypervisor, repository, backup set, first restore
 * point, each ticked once done and with a button to the page that does it. Gone once all are,
 * or once the administrator closes it (remembered in this browser).
 */
export function GettingStartedCard() {
  const [dismissed, setDismissed] = useState(() => isGettingStartedDismissed());
  // Closed: nothing to show, so the lists the checklist counts need not be loaded for it.
  if (dismissed) return null;
  return (
    <GettingStartedChecklist
      onDismiss={() => {
        rememberGettingStartedDismissed();
        setDismissed(true);
      }}
    />
  );
}

function GettingStartedChecklist(props: { onDismiss(): void }) {
  const hypervisors = useStore((s) => s.hypervisors);
  const hypervisorsStatus = useStore((s) => s.hypervisorsStatus);
  const repositories = useStore((s) => s.repositories);
  const repositoriesStatus = useStore((s) => s.repositoriesStatus);
  const loadRepositories = useStore((s) => s.loadRepositories);
  const backupSets = useStore((s) => s.backupSets);
  const backupSetsStatus = useStore((s) => s.backupSetsStatus);
  const loadBackupSets = useStore((s) => s.loadBackupSets);
  const { summaries, summariesStatus } = useBackupStatusData();
  const navigate = useStore((s) => s.navigate);
  const openHypervisorDialog = useStore((s) => s.openHypervisorDialog);
  const openBackupSetDialog = useStore((s) => s.openBackupSetDialog);

  useEffect(() => {
    if (repositoriesStatus === 'idle') void loadRepositories();
    if (backupSetsStatus === 'idle') void loadBackupSets();
  }, [repositoriesStatus, backupSetsStatus, loadRepositories, loadBackupSets]);

  const steps = useMemo(
    () =>
      gettingStartedSteps({
        hypervisors: knownCount(hypervisorsStatus, hypervisors),
        repositories: knownCount(repositoriesStatus, repositories),
        backupSets: knownCount(backupSetsStatus, backupSets),
        vmsWithPoints: knownCount(summariesStatus, summaries),
      }),
    [
      hypervisors,
      hypervisorsStatus,
      repositories,
      repositoriesStatus,
      backupSets,
      backupSetsStatus,
      summaries,
      summariesStatus,
    ],
  );
  if (steps === undefined) return null;

  const go: Record<GettingStartedStepId, () => void> = {
    hypervisor: () => {
      navigate('hypervisors');
      openHypervisorDialog({ mode: 'add' });
    },
    repository: () => navigate('storage'),
    backupSet: () => {
      navigate('backup-sets');
      openBackupSetDialog({ mode: 'create' });
    },
    restorePoint: () => navigate('vms'),
  };
  // The first step not done is the one to do next: its button stands out.
  const next = steps.find((step) => !step.done)?.id;

  return (
    <Card role="region" aria-labelledby="getting-started-title" sx={{ mb: 2 }}>
      <CardContent>
        <Stack direction="row" sx={{ alignItems: 'flex-start', gap: 1, mb: 1.5 }}>
          <Box sx={{ flexGrow: 1, minWidth: 0 }}>
            <Typography
              id="getting-started-title"
              variant="subtitle1"
              component="h2"
              sx={{ fontWeight: 600 }}
            >
              Getting started
            </Typography>
            <Typography variant="body2" color="text.secondary">
              {steps.filter((step) => step.done).length} of {steps.length} done. This card goes once
              every step is, or when you close it.
            </Typography>
          </Box>
          <Tooltip title="Dismiss">
            <IconButton
              size="small"
              edge="end"
              aria-label="Dismiss getting started"
              onClick={props.onDismiss}
            >
              <CloseIcon fontSize="small" />
            </IconButton>
          </Tooltip>
        </Stack>
        <Box component="ol" sx={{ m: 0, p: 0, listStyle: 'none' }}>
          {steps.map((step) => (
            <StepRow key={step.id} step={step} primary={step.id === next} onGo={go[step.id]} />
          ))}
        </Box>
      </CardContent>
    </Card>
  );
}

function StepRow(props: { step: GettingStartedStep; primary: boolean; onGo(): void }) {
  const { step, primary, onGo } = props;
  return (
    <Stack
      component="li"
      direction="row"
      aria-label={`${step.title}: ${step.done ? 'done' : 'not done yet'}`}
      sx={{ alignItems: 'center', gap: 1.5, py: 0.75 }}
    >
      {step.done ? (
        <CheckCircleIcon color="success" aria-hidden />
      ) : (
        <RadioButtonUncheckedIcon color="disabled" aria-hidden />
      )}
      <Box sx={{ flexGrow: 1, minWidth: 0 }}>
        <Typography
          variant="body2"
          sx={{ fontWeight: 600, color: step.done ? 'text.secondary' : 'text.primary' }}
        >
          {step.title}
        </Typography>
        <Typography variant="caption" color="text.secondary">
          {step.detail}
        </Typography>
      </Box>
      <Button
        size="small"
        variant={primary ? 'contained' : 'text'}
        onClick={onGo}
        sx={{ flexShrink: 0 }}
      >
        {step.action}
      </Button>
    </Stack>
  );
}
