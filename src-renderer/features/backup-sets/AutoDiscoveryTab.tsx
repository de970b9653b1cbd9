import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import ListSubheader from '@mui/material/ListSubheader';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import type { BackupSet } from '../../../shared/domain/backup-set';
import { formatCount } from '../../lib/format';
import { RuleEditor } from './rules/RuleEditor';
import type { BackupSetForm } from './use-backup-set-form';

/**
 * FIG. 4: the auto-discovery rules of each subclient, edited here and saved with the backup set.
 * The subclient list on the left is in evaluation order.
 */
export function AutoDiscoveryTab(props: {
  backupSet: BackupSet;
  form: BackupSetForm;
  hostOptions: readonly string[];
}) {
  const { backupSet, form } = props;
  const custom = backupSet.subclients
    .filter((s) => !s.isDefault)
    .sort((a, b) => a.position - b.position);
  const selected = custom.find((s) => s.id === form.rulesSubclientId) ?? custom[0];

  if (selected === undefined) {
    return (
      <Paper variant="outlined" sx={{ p: 4, textAlign: 'center' }}>
        <Typography variant="subtitle1" component="h3" gutterBottom>
          No subclient with rules yet
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          Every VM goes to the default subclient. Add a subclient, then give it rules such as “match
          VM names by regular expression” or “VM host affinity”.
        </Typography>
        <Button variant="contained" onClick={() => form.setTab('subclients')}>
          Go to Subclients
        </Button>
      </Paper>
    );
  }

  const content = form.ruleDrafts[selected.id] ?? selected.content;
  const errors = form.ruleErrors[selected.id] ?? {};
  const generalError = errors['rules'];

  return (
    <Stack spacing={2}>
      {!form.general.autoDiscovery && (
        <Alert severity="warning">
          Auto discovery is off (General tab): these rules are kept but not applied; only manual
          assignments and the default subclient place VMs.
        </Alert>
      )}
      <Box sx={{ display: 'grid', gridTemplateColumns: '220px minmax(0, 1fr)', gap: 2 }}>
        <Paper variant="outlined" sx={{ alignSelf: 'start' }}>
          <List
            dense
            aria-label="Subclients in evaluation order"
            subheader={<ListSubheader sx={{ lineHeight: '36px' }}>Evaluation order</ListSubheader>}
          >
            {custom.map((s, i) => {
              const draft = form.ruleDrafts[s.id];
              const rules = (draft ?? s.content).rules.length;
              return (
                <ListItemButton
                  key={s.id}
                  selected={s.id === selected.id}
                  onClick={() => form.setRulesSubclientId(s.id)}
                >
                  <ListItemText
                    primary={`${i + 1}. ${s.name}`}
                    secondary={`${formatCount(rules, 'rule')}${draft !== undefined ? ' · edited' : ''}`}
                    slotProps={{
                      secondary: { color: draft !== undefined ? 'warning.main' : undefined },
                    }}
                  />
                </ListItemButton>
              );
            })}
            <ListItemButton disabled>
              <ListItemText primary="default" secondary="VMs no rule claims" />
            </ListItemButton>
          </List>
        </Paper>
        <Stack spacing={1.5} sx={{ minWidth: 0 }}>
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
            <Typography variant="subtitle1" component="h3" sx={{ flex: 1, fontWeight: 600 }}>
              Rules of {selected.name}
            </Typography>
            {form.ruleDrafts[selected.id] !== undefined && (
              <Button size="small" onClick={() => form.discardRules(selected.id)}>
                Revert changes
              </Button>
            )}
          </Stack>
          {generalError !== undefined && generalError !== '' && (
            <Alert severity="error">{generalError}</Alert>
          )}
          <RuleEditor
            key={selected.id}
            backupSetId={backupSet.id}
            content={content}
            onChange={(next) => form.changeRules(selected.id, next)}
            errors={errors}
            hostOptions={props.hostOptions}
          />
        </Stack>
      </Box>
    </Stack>
  );
}
