import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import Chip from '@mui/material/Chip';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormGroup from '@mui/material/FormGroup';
import FormHelperText from '@mui/material/FormHelperText';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { Hypervisor } from '../../../shared/domain/hypervisor';
import type { BackupSetForm } from './use-backup-set-form';

/** Backup set General tab (FIG. 5A): name, hypervisors, proxy and the discovery options. */
export function GeneralTab(props: { form: BackupSetForm; hypervisors: readonly Hypervisor[] }) {
  const { form, hypervisors } = props;
  const { general, errors } = form;
  const f = errors.fields;
  const nameOf = (id: string) => hypervisors.find((h) => h.id === id)?.name ?? '(removed)';
  return (
    <Stack spacing={2.5} sx={{ maxWidth: 720 }}>
      <TextField
        label="Name"
        value={general.name}
        onChange={(e) => form.change('name', e.target.value)}
        error={f['name'] !== undefined}
        helperText={f['name'] ?? 'e.g. production-kvm; unique among backup sets'}
        required
        autoFocus
        fullWidth
      />
      <TextField
        select
        label="Hypervisors"
        value={general.hypervisorIds}
        onChange={(e) => {
          const value = e.target.value as unknown;
          form.change(
            'hypervisorIds',
            typeof value === 'string' ? value.split(',') : (value as string[]),
          );
        }}
        error={f['hypervisorIds'] !== undefined}
        helperText={
          f['hypervisorIds'] ??
          'The VM manager, or the standalone hosts, asked for virtual machines at each discovery'
        }
        required
        fullWidth
        slotProps={{
          select: {
            multiple: true,
            renderValue: (selected) => (
              <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5 }}>
                {(selected as string[]).map((id) => (
                  <Chip key={id} size="small" label={nameOf(id)} />
                ))}
              </Box>
            ),
          },
        }}
      >
        {hypervisors.length === 0 && (
          <MenuItem disabled value="">
            No hypervisor registered yet — add one on the Hypervisors page
          </MenuItem>
        )}
        {hypervisors.map((h) => (
          <MenuItem key={h.id} value={h.id}>
            <Checkbox
              checked={general.hypervisorIds.includes(h.id)}
              size="small"
              sx={{ p: 0.5, mr: 1 }}
            />
            <ListItemText primary={h.name} secondary={h.hostname ?? h.uri} />
          </MenuItem>
        ))}
      </TextField>
      {/* Only this engine exists: shown, not offered as a free-text field nothing would obey. */}
      <TextField
        label="Proxy"
        value={general.proxy}
        error={f['proxy'] !== undefined}
        helperText={f['proxy'] ?? 'This engine reads the disks itself'}
        slotProps={{ input: { readOnly: true } }}
        fullWidth
      />
      <FormGroup>
        <FormControlLabel
          control={
            <Checkbox
              checked={general.autoDiscovery}
              onChange={(e) => form.change('autoDiscovery', e.target.checked)}
            />
          }
          label="Enable auto discovery"
        />
        <FormHelperText sx={{ mt: -0.5, mb: 1 }}>
          At every discovery and backup, the subclients’ rules place the VMs the hypervisors report
          (see the Auto-discovery rules tab).
        </FormHelperText>
        <FormControlLabel
          control={
            <Checkbox
              checked={general.autoAddUnmatched}
              onChange={(e) => form.change('autoAddUnmatched', e.target.checked)}
            />
          }
          label="Automatically add new VMs that don't qualify for membership in any of the subclients"
        />
        <FormHelperText sx={{ mt: -0.5 }}>
          They join the default subclient; when this is off they stay in no subclient, are not
          backed up, and are listed as not assigned.
        </FormHelperText>
      </FormGroup>
    </Stack>
  );
}
