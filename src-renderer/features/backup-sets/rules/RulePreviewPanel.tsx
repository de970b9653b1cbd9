import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import type { RulePreview } from '../../../../shared/contract';
import { formatCount } from '../../../lib/format';
import type { RulePreviewState } from './use-rule-preview';

/** Enough to judge a rule; the full membership is the Virtual Machine Configuration tab's job. */
const MAX_LISTED = 100;

/** "Matches right now": the VMs the rules being edited select, with the reason for each. */
export function RulePreviewPanel(props: {
  state: RulePreviewState;
  title?: string;
  dense?: boolean;
}) {
  const { state } = props;
  const title = props.title ?? 'Live preview';
  const shown: RulePreview | null =
    state.phase === 'ready' ? state.result : state.phase === 'loading' ? state.previous : null;
  return (
    <Paper
      variant="outlined"
      component="section"
      aria-label={title}
      aria-busy={state.phase === 'loading'}
      sx={{ display: 'flex', flexDirection: 'column', minHeight: props.dense ? 0 : 220 }}
    >
      <Box sx={{ px: 2, pt: 1.5, pb: 1 }}>
        <Typography variant="subtitle2" component="h3">
          {title}
        </Typography>
        <Typography variant="caption" color="text.secondary" role="status">
          {headline(state, shown)}
        </Typography>
      </Box>
      <Box sx={{ height: 4 }}>
        {state.phase === 'loading' && <LinearProgress aria-label="Evaluating the rules" />}
      </Box>
      {state.phase === 'failed' && (
        <Alert severity="error" sx={{ m: 1.5 }}>
          {state.message}
        </Alert>
      )}
      {state.phase === 'invalid' && (
        <Alert severity="error" sx={{ m: 1.5 }}>
          {Object.values(state.fieldErrors)[0]}
        </Alert>
      )}
      {shown?.warnings.map((warning) => (
        <Alert key={warning} severity="warning" sx={{ mx: 1.5, mt: 1 }}>
          {warning}
        </Alert>
      ))}
      {shown?.errors.map((e) => (
        <Alert key={e.hypervisorId} severity="warning" sx={{ mx: 1.5, mt: 1 }}>
          <strong>{e.hypervisorName}</strong> could not be asked: {e.message}
        </Alert>
      ))}
      {shown !== null && shown.matches.length > 0 && (
        <List
          dense
          aria-label="Matching virtual machines"
          sx={{
            overflowY: 'auto',
            maxHeight: props.dense ? 180 : 320,
            opacity: state.phase === 'loading' ? 0.6 : 1,
          }}
        >
          {shown.matches.slice(0, MAX_LISTED).map((match) => (
            <ListItem key={match.vmUuid} divider>
              <ListItemText
                primary={
                  <>
                    <Box component="span" sx={{ fontWeight: 600 }}>
                      {match.vmName}
                    </Box>
                    <Box component="span" sx={{ color: 'text.secondary' }}>
                      {' '}
                      on {match.hypervisorName}
                    </Box>
                  </>
                }
                secondary={match.reason}
              />
            </ListItem>
          ))}
          {shown.matches.length > MAX_LISTED && (
            <ListItem>
              <ListItemText secondary={`… and ${shown.matches.length - MAX_LISTED} more`} />
            </ListItem>
          )}
        </List>
      )}
    </Paper>
  );
}

function headline(state: RulePreviewState, shown: RulePreview | null): string {
  if (state.phase === 'empty') return 'Configure a rule to see which VMs it selects right now.';
  if (state.phase === 'invalid') return 'Fix the rule to see which VMs it selects.';
  if (state.phase === 'failed') return 'The preview is not available.';
  if (shown === null) return 'Asking the hypervisors…';
  const text =
    shown.matches.length === 0
      ? `No VM matches (of ${formatCount(shown.total, 'VM')} on the set's hypervisors)`
      : `${shown.matches.length} of ${formatCount(shown.total, 'VM')} match right now`;
  return state.phase === 'loading' ? `${text} — updating…` : text;
}
