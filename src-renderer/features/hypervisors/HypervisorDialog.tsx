import type { FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import NetworkCheckIcon from '@mui/icons-material/NetworkCheck';
import type { Hypervisor, HypervisorType } from '../../../shared/domain/hypervisor';
import { useStore } from '../../store';
import { ConnectionTestAlert } from './ConnectionTestAlert';
import { useHypervisorForm } from './use-hypervisor-form';

const URI_HELP: Record<HypervisorType, string> = {
  libvirt:
    'libvirt URI, e.g. qemu:///system, qemu+unix:///session?socket=/path/libvirt-sock, qemu+tcp://host/system',
  vsphere: 'vCenter or ESX host, e.g. https://vcenter.example/sdk or https://esx01.example/sdk',
};

/** Add or edit a hypervisor. Mounted only while open, so each opening starts from fresh values. */
export function HypervisorDialog() {
  const dialog = useStore((s) => s.hypervisorDialog);
  const close = useStore((s) => s.closeHypervisorDialog);
  const hypervisors = useStore((s) => s.hypervisors);
  if (dialog === null) return null;
  const existing =
    dialog.mode === 'edit' ? hypervisors.find((h) => h.id === dialog.hypervisorId) : undefined;
  if (dialog.mode === 'edit' && existing === undefined) return null;
  return <HypervisorForm key={existing?.id ?? 'new'} existing={existing} onClose={close} />;
}

function HypervisorForm({ existing, onClose }: { existing?: Hypervisor; onClose: () => void }) {
  const form = useHypervisorForm(existing, onClose);
  const { values, errors, change } = form;
  const busy = form.saving || form.test.phase === 'testing';
  const titleId = 'hypervisor-dialog-title';

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!busy) form.requestSave();
  };

  return (
    <Dialog
      open
      onClose={() => {
        if (!form.saving) onClose();
      }}
      maxWidth="sm"
      fullWidth
      aria-labelledby={titleId}
    >
      <Box component="form" noValidate onSubmit={onSubmit}>
        <DialogTitle id={titleId}>
          {existing === undefined ? 'Add hypervisor' : `Edit ${existing.name}`}
        </DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            <TextField
              label="Name"
              value={values.name}
              onChange={(e) => change('name', e.target.value)}
              error={errors.fields.name !== undefined}
              helperText={
                errors.fields.name ?? 'How this host appears in Hyperkeep, e.g. lab-host-1'
              }
              autoFocus
              required
              fullWidth
            />
            <TextField
              select
              label="Type"
              value={values.type}
              onChange={(e) => change('type', e.target.value as HypervisorType)}
              disabled={existing !== undefined}
              error={errors.fields.type !== undefined}
              helperText={
                errors.fields.type ??
                (existing !== undefined
                  ? 'The type of a registered hypervisor cannot change'
                  : 'libvirt host, or a vCenter / ESX host')
              }
              fullWidth
            >
              <MenuItem value="libvirt">libvirt (KVM / QEMU)</MenuItem>
              <MenuItem value="vsphere">VMware vSphere (vCenter or ESX)</MenuItem>
            </TextField>
            <TextField
              label="URI"
              value={values.uri}
              onChange={(e) => change('uri', e.target.value)}
              onBlur={form.leaveUri}
              error={form.uriError !== undefined}
              helperText={form.uriError ?? URI_HELP[values.type]}
              required
              fullWidth
              slotProps={{ htmlInput: { spellCheck: false, autoCapitalize: 'off' } }}
            />
            <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
              <TextField
                label="User"
                value={values.username}
                onChange={(e) => change('username', e.target.value)}
                error={errors.fields.username !== undefined}
                helperText={
                  errors.fields.username ??
                  (values.type === 'vsphere'
                    ? 'e.g. administrator@vsphere.local'
                    : 'Only for SASL or TLS logins; optional')
                }
                autoComplete="off"
                fullWidth
              />
              <TextField
                label="Password"
                type="password"
                value={values.password}
                onChange={(e) => change('password', e.target.value)}
                error={errors.fields.password !== undefined}
                helperText={errors.fields.password ?? passwordHelp(existing)}
                autoComplete="new-password"
                fullWidth
              />
            </Stack>
            {values.type === 'vsphere' && (
              <TextField
                label="Certificate fingerprint (SHA-256)"
                value={values.certificateFingerprint}
                onChange={(e) => change('certificateFingerprint', e.target.value)}
                error={errors.fields.certificateFingerprint !== undefined}
                helperText={
                  errors.fields.certificateFingerprint ??
                  'Test the connection to see the server certificate, then accept it'
                }
                fullWidth
                slotProps={{ htmlInput: { spellCheck: false, autoCapitalize: 'off' } }}
              />
            )}
          </Stack>
          <ConnectionTestAlert
            test={form.test}
            pinnedFingerprint={values.certificateFingerprint}
            onAcceptCertificate={form.acceptCertificate}
          />
          {errors.general !== undefined && (
            <Alert severity="error" sx={{ mt: 2 }}>
              {errors.general}
            </Alert>
          )}
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button
            onClick={() => void form.runTest()}
            disabled={busy}
            startIcon={<NetworkCheckIcon />}
            sx={{ mr: 'auto' }}
          >
            Test connection
          </Button>
          <Button onClick={onClose} disabled={form.saving}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={busy || form.uriError !== undefined}>
            {form.saving ? 'Saving…' : 'Save'}
          </Button>
        </DialogActions>
      </Box>
      <Dialog
        open={form.confirmingUntested}
        onClose={form.keepEditing}
        aria-labelledby="save-untested-title"
      >
        <DialogTitle id="save-untested-title">Save without a working connection?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            The last connection test failed: {form.failedTest} {values.name.trim() || 'The host'} is
            registered anyway and shown as unreachable until it answers.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={form.keepEditing} autoFocus>
            Keep editing
          </Button>
          <Button variant="contained" onClick={() => void form.save()}>
            Save anyway
          </Button>
        </DialogActions>
      </Dialog>
    </Dialog>
  );
}

function passwordHelp(existing: Hypervisor | undefined): string {
  if (existing === undefined) return 'Stored encrypted; optional';
  return existing.hasPassword
    ? 'Leave empty to keep the stored password'
    : 'No password stored; leave empty for none';
}
