import { useEffect, useMemo, useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Divider from '@mui/material/Divider';
import Stack from '@mui/material/Stack';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import ErrorIcon from '@mui/icons-material/ErrorOutlined';
import type { Subclient } from '../../../../shared/domain/backup-set';
import { useStore } from '../../../store';
import { hasErrorUnder } from '../field-errors';
import { DiscardChangesDialog } from '../form/DiscardChangesDialog';
import { TabPanel } from '../form/TabPanel';
import { initialRepository, repositoryChoice } from './repository-choice';
import { RecoveryTestSection } from './RecoveryTestSection';
import { ScheduleTab } from './ScheduleTab';
import { EncryptionTab } from './EncryptionTab';
import { SubclientContentTab } from './SubclientContentTab';
import { SubclientGeneralTab } from './SubclientGeneralTab';
import {
  ActivityTab,
  FiltersTab,
  PrePostTab,
  RetentionTab,
  StorageTab,
} from './SubclientOptionTabs';
import {
  SUBCLIENT_TABS,
  TAB_FIELDS,
  useSubclientForm,
  type SubclientTab,
} from './use-subclient-form';

const TAB_LABELS: Record<SubclientTab, string> = {
  general: 'General',
  content: 'Content',
  filters: 'Filters',
  storage: 'Storage',
  encryption: 'Encryption',
  prepost: 'Pre/Post process',
  schedule: 'Schedule',
  retention: 'Retention',
  activity: 'Activity control',
};

/** FIG. 15 Subclient properties: create (no `subclient`) or edit, saved as one whole. */
export function SubclientDialog(props: {
  backupSetId: string;
  subclient?: Subclient;
  hostOptions: readonly string[];
  onClose(): void;
}) {
  const { backupSetId, subclient } = props;
  const assignments = useStore((s) => s.assignments?.assignments);
  const discovered = useMemo(() => assignments ?? [], [assignments]);
  // Only the assignments at opening time: later reloads must not reset what is being edited.
  const [initialManualVms] = useState(() =>
    subclient === undefined
      ? []
      : discovered.filter((a) => a.manual && a.subclientId === subclient.id).map((a) => a.vmUuid),
  );
  const repositories = useStore((s) => s.repositories);
  const repositoriesStatus = useStore((s) => s.repositoriesStatus);
  const loadRepositories = useStore((s) => s.loadRepositories);
  // The Storage tab offers the registered repositories: read them fresh for each dialog.
  useEffect(() => {
    void loadRepositories();
  }, [loadRepositories]);
  const [startRepository] = useState(() =>
    subclient === undefined && repositoriesStatus === 'ready'
      ? initialRepository(repositories.map((r) => r.name))
      : undefined,
  );
  const form = useSubclientForm({
    backupSetId,
    existing: subclient,
    initialManualVms,
    initialRepository: startRepository,
    onSaved: props.onClose,
  });
  const repositoryName = form.values.settings.storage.repository;
  const repository = useMemo(
    () =>
      repositoriesStatus === 'ready'
        ? repositoryChoice(
            repositoryName,
            repositories.map((r) => r.name),
          )
        : undefined,
    [repositoryName, repositories, repositoriesStatus],
  );
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const isDefault = subclient?.isDefault === true;
  const vmNames = useMemo(() => [...new Set(discovered.map((a) => a.vmName))].sort(), [discovered]);
  const titleId = 'subclient-dialog-title';

  function requestClose() {
    if (form.saving) return;
    if (form.dirty) setConfirmDiscard(true);
    else props.onClose();
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    event.stopPropagation();
    if (!form.saving) void form.save();
  }

  return (
    <Dialog
      open
      onClose={requestClose}
      maxWidth="lg"
      fullWidth
      aria-labelledby={titleId}
      slotProps={{ paper: { sx: { height: 'min(860px, calc(100% - 64px))' } } }}
    >
      <Box
        component="form"
        noValidate
        onSubmit={onSubmit}
        sx={{ display: 'flex', flexDirection: 'column', height: '100%' }}
      >
        <DialogTitle id={titleId} sx={{ pb: 0 }}>
          {subclient === undefined ? 'New subclient' : `Subclient properties of ${subclient.name}`}
        </DialogTitle>
        <Tabs
          value={form.tab}
          onChange={(_event, tab: SubclientTab) => form.setTab(tab)}
          variant="scrollable"
          scrollButtons="auto"
          aria-label="Subclient properties"
          sx={{
            px: 2,
            borderBottom: 1,
            borderColor: 'divider',
            '& .MuiTab-root': { textTransform: 'none', fontWeight: 600 },
          }}
        >
          {SUBCLIENT_TABS.map((tab) => {
            const failed =
              hasErrorUnder(form.errors.fields, TAB_FIELDS[tab]) ||
              (tab === 'storage' && repository?.problem !== undefined);
            return (
              <Tab
                key={tab}
                value={tab}
                label={TAB_LABELS[tab]}
                id={`subclient-tab-${tab}`}
                aria-controls={`subclient-panel-${tab}`}
                icon={failed ? <ErrorIcon color="error" fontSize="small" /> : undefined}
                iconPosition="end"
                sx={{ minHeight: 48, color: failed ? 'error.main' : undefined }}
              />
            );
          })}
        </Tabs>
        <DialogContent sx={{ flex: 1 }}>
          <TabPanel id={`subclient-panel-${form.tab}`} tabId={`subclient-tab-${form.tab}`}>
            {form.tab === 'general' && <SubclientGeneralTab form={form} isDefault={isDefault} />}
            {form.tab === 'content' && (
              <SubclientContentTab
                form={form}
                isDefault={isDefault}
                backupSetId={backupSetId}
                hostOptions={props.hostOptions}
                assignments={discovered}
              />
            )}
            {form.tab === 'filters' && (
              <FiltersTab form={form} vmNames={vmNames} isDefault={isDefault} />
            )}
            {form.tab === 'storage' && (
              <StorageTab
                form={form}
                choice={repository}
                loadError={repositoriesStatus === 'error'}
                onReload={() => void loadRepositories()}
              />
            )}
            {form.tab === 'encryption' && (
              <EncryptionTab
                repositoryName={repositoryName}
                repositories={repositories}
                status={repositoriesStatus}
              />
            )}
            {form.tab === 'prepost' && <PrePostTab form={form} />}
            {form.tab === 'schedule' && (
              <Stack spacing={3} divider={<Divider flexItem />}>
                <ScheduleTab form={form} />
                <RecoveryTestSection form={form} />
              </Stack>
            )}
            {form.tab === 'retention' && (
              <RetentionTab form={form} backupSetId={backupSetId} subclientId={subclient?.id} />
            )}
            {form.tab === 'activity' && <ActivityTab form={form} />}
          </TabPanel>
        </DialogContent>
        {form.errors.general !== undefined && (
          <Alert severity="error" sx={{ mx: 3, mb: 1 }}>
            {form.errors.general}
          </Alert>
        )}
        <DialogActions sx={{ px: 3, pb: 2, borderTop: 1, borderColor: 'divider', pt: 1.5 }}>
          <Button onClick={requestClose} disabled={form.saving}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={form.saving}>
            {form.saving ? 'Saving…' : 'Save'}
          </Button>
        </DialogActions>
      </Box>
      {confirmDiscard && (
        <DiscardChangesDialog
          message={
            subclient === undefined
              ? 'The new subclient, its rules and settings were not saved.'
              : `The changes to subclient ${subclient.name} were not saved.`
          }
          onKeepEditing={() => setConfirmDiscard(false)}
          onDiscard={props.onClose}
        />
      )}
    </Dialog>
  );
}
