import Alert from '@mui/material/Alert';
import Autocomplete from '@mui/material/Autocomplete';
import Chip from '@mui/material/Chip';
import Divider from '@mui/material/Divider';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { VmAssignment } from '../../../../shared/domain/backup-set';
import { errorsUnder } from '../field-errors';
import { RuleEditor } from '../rules/RuleEditor';
import type { SubclientForm } from './use-subclient-form';

/** FIG. 15 Content: the auto-discovery rules, plus the VMs assigned to this subclient by hand. */
export function SubclientContentTab(props: {
  form: SubclientForm;
  isDefault: boolean;
  backupSetId: string;
  hostOptions: readonly string[];
  /** The set's discovered VMs (FIG. 5B), for manual assignment */
  assignments: readonly VmAssignment[];
}) {
  const { form, isDefault } = props;
  const byUuid = new Map(props.assignments.map((a) => [a.vmUuid, a]));
  const manualError = form.errors.fields['manualVms'];
  return (
    <Stack spacing={3}>
      {isDefault ? (
        <Alert severity="info">
          The default subclient has no rules of its own: it takes the VMs that match no other
          subclient. You can still assign VMs to it manually.
        </Alert>
      ) : (
        <RuleEditor
          backupSetId={props.backupSetId}
          content={form.values.content}
          onChange={(content) => form.change('content', content)}
          errors={errorsUnder(form.errors.fields, 'content.')}
          hostOptions={props.hostOptions}
        />
      )}
      <Divider />
      <Stack spacing={1}>
        <Typography variant="subtitle2" component="h3">
          Manually assigned virtual machines
        </Typography>
        <Autocomplete
          multiple
          options={props.assignments.map((a) => a.vmUuid)}
          value={form.values.manualVms}
          onChange={(_event, uuids) => form.change('manualVms', uuids)}
          getOptionLabel={(uuid) => {
            const vm = byUuid.get(uuid);
            return vm === undefined ? uuid : `${vm.vmName} (${vm.hypervisorName})`;
          }}
          renderValue={(uuids, getItemProps) =>
            uuids.map((uuid, index) => {
              const { key, ...itemProps } = getItemProps({ index });
              return (
                <Chip
                  key={key}
                  size="small"
                  label={byUuid.get(uuid)?.vmName ?? uuid}
                  {...itemProps}
                />
              );
            })
          }
          noOptionsText="No discovered VM: run Discover on the backup set first"
          renderInput={(params) => (
            <TextField
              {...params}
              label="Manually assigned VMs"
              error={manualError !== undefined}
              helperText={
                manualError ??
                'They stay in this subclient whatever the rules say. Removing one hands it back to the rules.'
              }
            />
          )}
        />
      </Stack>
    </Stack>
  );
}
