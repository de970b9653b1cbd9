import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import DeleteIcon from '@mui/icons-material/DeleteOutlined';
import TuneIcon from '@mui/icons-material/Tune';
import type { Rule, RuleType } from '../../../../shared/domain/rules';
import { RULE_TYPES, RULE_TYPE_LABELS, describeRule, isComplete, newRule } from './rule-text';

export interface RuleListProps {
  /** 'Rule' or 'Exclusion': names the rows ("Rule 2") for screen readers and tests. */
  noun: string;
  rules: readonly Rule[];
  /** Errors keyed by '<index>.<field>' or '<index>' */
  errors: Record<string, string>;
  disabled?: boolean;
  emptyText: string;
  onChange(rules: Rule[]): void;
  onConfigure(index: number): void;
}

function errorFor(errors: Record<string, string>, index: number): string | undefined {
  const prefix = `${index}`;
  const key = Object.keys(errors).find((k) => k === prefix || k.startsWith(`${prefix}.`));
  return key === undefined ? undefined : errors[key];
}

/** The rows of a rule list: the type, what the rule tests, Configure and Remove. */
export function RuleList(props: RuleListProps) {
  const { rules, noun } = props;

  function replace(index: number, rule: Rule) {
    props.onChange(rules.map((r, i) => (i === index ? rule : r)));
  }

  if (rules.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary" sx={{ py: 1.5 }}>
        {props.emptyText}
      </Typography>
    );
  }
  return (
    <Stack spacing={1}>
      {rules.map((rule, index) => {
        const label = `${noun} ${index + 1}`;
        const error = errorFor(props.errors, index);
        const incomplete = !isComplete(rule);
        return (
          <Paper
            key={index}
            variant="outlined"
            role="group"
            aria-label={label}
            sx={{ p: 1.5, borderColor: error !== undefined ? 'error.main' : undefined }}
          >
            <Stack direction="row" spacing={1.5} sx={{ alignItems: 'center' }}>
              <TextField
                select
                size="small"
                label="Rule type"
                value={rule.type}
                disabled={props.disabled}
                onChange={(e) => replace(index, newRule(e.target.value as RuleType, rule))}
                sx={{ flex: '1 1 340px', minWidth: 0, maxWidth: 340 }}
              >
                {RULE_TYPES.map((type) => (
                  <MenuItem key={type} value={type}>
                    {RULE_TYPE_LABELS[type]}
                  </MenuItem>
                ))}
              </TextField>
              <Button
                size="small"
                variant="outlined"
                startIcon={<TuneIcon />}
                onClick={() => props.onConfigure(index)}
                disabled={props.disabled}
                sx={{ ml: 'auto !important', flexShrink: 0 }}
              >
                Configure
              </Button>
              <Tooltip disableInteractive title={`Remove ${label.toLowerCase()}`}>
                <span>
                  <IconButton
                    aria-label={`Remove ${label.toLowerCase()}`}
                    onClick={() => props.onChange(rules.filter((_, i) => i !== index))}
                    disabled={props.disabled}
                    size="small"
                  >
                    <DeleteIcon fontSize="small" />
                  </IconButton>
                </span>
              </Tooltip>
            </Stack>
            <Typography
              variant="body2"
              sx={{
                mt: 1,
                color: incomplete ? 'warning.main' : 'text.secondary',
                wordBreak: 'break-word',
              }}
            >
              {describeRule(rule)}
            </Typography>
            {error !== undefined && (
              <Typography variant="caption" color="error" role="alert" component="p">
                {error}
              </Typography>
            )}
          </Paper>
        );
      })}
    </Stack>
  );
}
