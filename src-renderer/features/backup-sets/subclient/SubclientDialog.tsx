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
import ErrorIcon from '@mui/icons-material/ErrorOutlined';
import type { Subclient } from '../../../../shared/domain/backup-set';
import { useStore } from '../../../store';
import { hasErrorUnder } from '../field-errors';
import { TabPanel } from '../form/TabPanel';
import { ScheduleTab } from './ScheduleTab';
import { SubclientContentTab } from './SubclientContentTab';
import { SubclientGeneralTab } from './SubclientGeneralTab';
import {
  ActivityTab,
  EncryptionTab,
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

/** FIG. 15 Sub-client properties: create (no `subclient`) or edit, saved as one whole. */
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
  const form = useSubclientForm({
    backupSetId,
    existing: subclient,
    initialManualVms,
    onSaved: props.onClose,
  });
  const isDefault = subclient?.isDefault === true;
  const vmNames = useMemo(() => [...new Set(discovered.map((a) => a.vmName))].sort(), [discovered]);
  const titleId = 'subclient-dialog-title';

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    event.stopPropagation();
    if (!form.saving) void form.save();
  }

  return (
    <Dialog
      open
      onClose={() => {
        if (!form.saving) props.onClose();
      }}
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
            const failed = hasErrorUnder(form.errors.fields, TAB_FIELDS[tab]);
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
            {form.tab === 'filters' && <FiltersTab form={form} vmNames={vmNames} />}
            {form.tab === 'storage' && <StorageTab form={form} />}
            {form.tab === 'encryption' && <EncryptionTab form={form} />}
            {form.tab === 'prepost' && <PrePostTab form={form} />}
            {form.tab === 'schedule' && <ScheduleTab form={form} />}
            {form.tab === 'retention' && <RetentionTab form={form} />}
            {form.tab === 'activity' && <ActivityTab form={form} />}
          </TabPanel>
        </DialogContent>
        {form.errors.general !== undefined && (
          <Alert severity="error" sx={{ mx: 3, mb: 1 }}>
            {form.errors.general}
          </Alert>
        )}
        <DialogActions sx={{ px: 3, pb: 2, borderTop: 1, borderColor: 'divider', pt: 1.5 }}>
          <Button onClick={props.onClose} disabled={form.saving}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={form.saving}>
            {form.saving ? 'Saving…' : 'Save'}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
