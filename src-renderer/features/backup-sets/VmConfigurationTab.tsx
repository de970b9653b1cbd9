import { useState } from 'react';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import RadarIcon from '@mui/icons-material/Radar';
import { DataGrid, type GridRowSelectionModel } from '@mui/x-data-grid';
import type { BackupSet } from '../../../shared/domain/backup-set';
import { describeError } from '../../api/api-error';
import { formatCount } from '../../lib/format';
import { useStore } from '../../store';
import { summarizeAssignments } from '../../store/backup-sets-slice';
import { ASSIGNMENT_COLUMNS } from './assignment-columns';

/** The Select's value for "hand the VMs back to the rules" (subclientId null). */
const BACK_TO_RULES = '__rules__';
const NO_SELECTION: GridRowSelectionModel = { type: 'include', ids: new Set() };

/**
 * FIG. 5B Virtual Machine Configuration: every VM of the set with its subclient, Discover to ask
 * the hypervisors now, and "Change all selected virtual machines to subclient".
 */
export function VmConfigurationTab(props: { backupSet: BackupSet; rulesDirty: boolean }) {
  const { backupSet } = props;
  const assignments = useStore((s) => s.assignments);
  const status = useStore((s) => s.assignmentsStatus);
  const loadError = useStore((s) => s.assignmentsError);
  const discovering = useStore((s) => s.discovering);
  const issues = useStore((s) =>
    s.discoveryIssues?.backupSetId === backupSet.id ? s.discoveryIssues : null,
  );
  const hypervisors = useStore((s) => s.hypervisors);
  const runDiscovery = useStore((s) => s.runDiscovery);
  const assignVms = useStore((s) => s.assignVms);
  const [selection, setSelection] = useState<GridRowSelectionModel>(NO_SELECTION);
  const [target, setTarget] = useState('');
  const [applying, setApplying] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  const rows = assignments?.assignments ?? [];
  const selected = rows.filter(
    (r) => selection.ids.has(r.vmUuid) === (selection.type === 'include'),
  );
  const summary = assignments === null ? null : summarizeAssignments(assignments);
  const targets = backupSet.hypervisorIds
    .map((id) => hypervisors.find((h) => h.id === id)?.name ?? id)
    .join(', ');

  async function discover() {
    setActionError(null);
    try {
      await runDiscovery(backupSet.id);
    } catch (err) {
      setActionError(`Discovery failed: ${describeError(err)}`);
    }
  }

  async function apply() {
    setApplying(true);
    setActionError(null);
    try {
      await assignVms(
        backupSet.id,
        selected.map((r) => r.vmUuid),
        target === BACK_TO_RULES ? null : target,
      );
      setSelection(NO_SELECTION);
    } catch (err) {
      setActionError(describeError(err));
    } finally {
      setApplying(false);
    }
  }

  return (
    <Stack spacing={2}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
        <Button
          variant="contained"
          startIcon={<RadarIcon />}
          onClick={() => void discover()}
          disabled={discovering}
        >
          Discover
        </Button>
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1, minWidth: 200 }}>
          {summary === null || summary.discoveredAt === ''
            ? 'Not discovered yet: Discover asks the hypervisors for their VMs and places each one.'
            : `Last discovered ${new Date(summary.discoveredAt).toLocaleString()}`}
        </Typography>
        {summary !== null && summary.total > 0 && (
          <Stack direction="row" spacing={1}>
            <Chip size="small" color="success" label={`${summary.protected} assigned`} />
            <Chip
              size="small"
              color={summary.unprotected > 0 ? 'error' : 'default'}
              variant="outlined"
              label={`${summary.unprotected} not assigned`}
            />
            <Chip
              size="small"
              color={summary.vanished > 0 ? 'warning' : 'default'}
              variant="outlined"
              label={`${summary.vanished} vanished`}
            />
          </Stack>
        )}
      </Stack>
      {props.rulesDirty && (
        <Alert severity="info">
          Some rules have unsaved changes: Save first so that Discover places the VMs with them.
        </Alert>
      )}
      {discovering && (
        <Box role="status">
          <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
            Asking {targets} for their virtual machines…
          </Typography>
          <LinearProgress aria-label="Discovering virtual machines" />
        </Box>
      )}
      {issues !== null && issues.errors.length > 0 && (
        <Alert severity="warning">
          <AlertTitle>
            {formatCount(issues.errors.length, 'hypervisor')} could not be asked; their VMs keep
            their last known placement
          </AlertTitle>
          {issues.errors.map((e) => (
            <div key={e.hypervisorId}>
              <strong>{e.hypervisorName}:</strong> {e.message}
            </div>
          ))}
        </Alert>
      )}
      {issues?.warnings.map((warning) => (
        <Alert key={warning} severity="warning">
          {warning}
        </Alert>
      ))}
      {loadError !== null && (
        <Alert severity="error">Could not load the assignments: {describeError(loadError)}</Alert>
      )}
      {actionError !== null && <Alert severity="error">{actionError}</Alert>}
      <Box sx={{ height: 400, minWidth: 0 }}>
        <DataGrid
          aria-label="Virtual machines of the backup set"
          rows={rows}
          columns={ASSIGNMENT_COLUMNS}
          getRowId={(row) => row.vmUuid}
          checkboxSelection
          disableRowSelectionOnClick={false}
          rowSelectionModel={selection}
          onRowSelectionModelChange={setSelection}
          loading={status === 'loading' && rows.length === 0}
          initialState={{ sorting: { sortModel: [{ field: 'host', sort: 'asc' }] } }}
          hideFooterSelectedRowCount
          localeText={{
            noRowsLabel: 'No virtual machine discovered yet — click Discover',
          }}
          sx={{ '& .MuiDataGrid-cell:focus-within': { outlineOffset: -2 } }}
        />
      </Box>
      <Stack
        direction={{ xs: 'column', sm: 'row' }}
        spacing={2}
        sx={{ alignItems: { sm: 'center' } }}
        component="section"
        aria-label="Change the subclient of the selected virtual machines"
      >
        <Typography variant="body2" sx={{ fontWeight: 600 }}>
          Change all selected virtual machines to subclient:
        </Typography>
        <TextField
          select
          size="small"
          label="Subclient"
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          sx={{ minWidth: 220 }}
        >
          {backupSet.subclients.map((s) => (
            <MenuItem key={s.id} value={s.id}>
              {s.name}
              {s.isDefault ? ' (default)' : ''}
            </MenuItem>
          ))}
          <MenuItem value={BACK_TO_RULES}>(back to rules)</MenuItem>
        </TextField>
        <Button
          variant="outlined"
          onClick={() => void apply()}
          disabled={selected.length === 0 || target === '' || applying}
        >
          Apply
        </Button>
        <Typography variant="body2" color="text.secondary">
          {selected.length === 0
            ? 'No VM selected'
            : `${formatCount(selected.length, 'VM')} selected`}
        </Typography>
      </Stack>
    </Stack>
  );
}
