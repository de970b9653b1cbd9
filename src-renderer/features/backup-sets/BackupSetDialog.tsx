import { useMemo, useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import type { BackupSet } from '../../../shared/domain/backup-set';
import { useStore } from '../../store';
import type { BackupSetTab } from '../../store/backup-sets-slice';
import { AutoDiscoveryTab } from './AutoDiscoveryTab';
import { CredentialsTab } from './CredentialsTab';
import { GeneralTab } from './GeneralTab';
import { SubclientsTab } from './SubclientsTab';
import { VmConfigurationTab } from './VmConfigurationTab';
import { DiscardChangesDialog } from './form/DiscardChangesDialog';
import { TabPanel } from './form/TabPanel';
import { useBackupSetForm } from './use-backup-set-form';

const TABS: { value: BackupSetTab; label: string }[] = [
  { value: 'general', label: 'General' },
  { value: 'vms', label: 'Virtual Machine Configuration' },
  { value: 'subclients', label: 'Subclients' },
  { value: 'rules', label: 'Auto-discovery rules' },
  { value: 'credentials', label: 'VM credentials' },
];

/** Backup set properties (FIG. 5A/5B), mounted only while open. */
export function BackupSetDialog() {
  const dialog = useStore((s) => s.backupSetDialog);
  const backupSets = useStore((s) => s.backupSets);
  const close = useStore((s) => s.closeBackupSetDialog);
  if (dialog === null) return null;
  const existing =
    dialog.mode === 'edit' ? backupSets.find((s) => s.id === dialog.backupSetId) : undefined;
  if (dialog.mode === 'edit' && existing === undefined) return null;
  return (
    <BackupSetForm
      key={existing?.id ?? 'new'}
      existing={existing}
      initialTab={dialog.mode === 'edit' ? dialog.tab : undefined}
      onClose={close}
    />
  );
}

function BackupSetForm(props: {
  existing: BackupSet | undefined;
  initialTab: BackupSetTab | undefined;
  onClose(): void;
}) {
  const { existing } = props;
  const form = useBackupSetForm(existing, props.initialTab);
  const hypervisors = useStore((s) => s.hypervisors);
  const assignments = useStore((s) => s.assignments?.assignments);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const titleId = 'backup-set-dialog-title';

  // Host affinity can name a chosen hypervisor, its hostname, or a host VMs were seen on.
  const hostOptions = useMemo(() => {
    const names = new Set<string>();
    for (const id of form.general.hypervisorIds) {
      const h = hypervisors.find((x) => x.id === id);
      if (h !== undefined) names.add(h.name);
      if (h?.hostname !== undefined) names.add(h.hostname);
    }
    for (const a of assignments ?? []) names.add(a.host);
    return [...names].sort();
  }, [form.general.hypervisorIds, hypervisors, assignments]);

  function requestClose() {
    if (form.saving) return;
    if (form.dirty) setConfirmDiscard(true);
    else props.onClose();
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!form.saving) void form.save();
  }

  return (
    <Dialog
      open
      onClose={requestClose}
      maxWidth="lg"
      fullWidth
      aria-labelledby={titleId}
      slotProps={{ paper: { sx: { height: 'min(900px, calc(100% - 64px))' } } }}
    >
      <Box
        component="form"
        noValidate
        onSubmit={onSubmit}
        sx={{ display: 'flex', flexDirection: 'column', height: '100%' }}
      >
        <DialogTitle id={titleId} sx={{ pb: 0 }}>
          {existing === undefined ? 'New backup set' : `Backup set properties of ${existing.name}`}
        </DialogTitle>
        <Tabs
          value={form.tab}
          onChange={(_event, tab: BackupSetTab) => form.setTab(tab)}
          variant="scrollable"
          scrollButtons="auto"
          aria-label="Backup set properties"
          sx={{
            px: 2,
            borderBottom: 1,
            borderColor: 'divider',
            '& .MuiTab-root': { textTransform: 'none', fontWeight: 600 },
          }}
        >
          {TABS.map((tab) => (
            <Tab
              key={tab.value}
              value={tab.value}
              label={tab.label}
              id={`backup-set-tab-${tab.value}`}
              aria-controls={`backup-set-panel-${tab.value}`}
              disabled={existing === undefined && tab.value !== 'general'}
            />
          ))}
        </Tabs>
        <DialogContent sx={{ flex: 1 }}>
          {existing === undefined && (
            <Alert severity="info" sx={{ mb: 1 }}>
              Save the new backup set first; then add subclients, their rules and discover its
              virtual machines.
            </Alert>
          )}
          <TabPanel id={`backup-set-panel-${form.tab}`} tabId={`backup-set-tab-${form.tab}`}>
            {form.tab === 'general' && <GeneralTab form={form} hypervisors={hypervisors} />}
            {existing !== undefined && form.tab === 'vms' && (
              <VmConfigurationTab
                backupSet={existing}
                rulesDirty={Object.keys(form.ruleDrafts).length > 0}
              />
            )}
            {existing !== undefined && form.tab === 'subclients' && (
              <SubclientsTab backupSet={existing} hostOptions={hostOptions} />
            )}
            {existing !== undefined && form.tab === 'rules' && (
              <AutoDiscoveryTab backupSet={existing} form={form} hostOptions={hostOptions} />
            )}
            {existing !== undefined && form.tab === 'credentials' && (
              <CredentialsTab backupSetId={existing.id} />
            )}
          </TabPanel>
        </DialogContent>
        {form.errors.general !== undefined && (
          <Alert severity="error" sx={{ mx: 3, mb: 1 }}>
            {form.errors.general}
          </Alert>
        )}
        <DialogActions sx={{ px: 3, pb: 2, borderTop: 1, borderColor: 'divider', pt: 1.5 }}>
          <Button onClick={requestClose} disabled={form.saving}>
            {existing === undefined ? 'Cancel' : 'Close'}
          </Button>
          <Button
            type="submit"
            variant="contained"
            // A new set can always be tried: Save names what is missing.
            disabled={form.saving || (existing !== undefined && !form.dirty)}
          >
            {form.saving ? 'Saving…' : 'Save'}
          </Button>
        </DialogActions>
      </Box>
      {confirmDiscard && (
        <DiscardChangesDialog
          message={
            existing === undefined
              ? 'The new backup set was not saved.'
              : 'The General settings or some auto-discovery rules of this backup set were changed and not saved.'
          }
          onKeepEditing={() => setConfirmDiscard(false)}
          onDiscard={props.onClose}
        />
      )}
    </Dialog>
  );
}
