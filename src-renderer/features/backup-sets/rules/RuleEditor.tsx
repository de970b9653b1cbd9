import { useId, useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import AddIcon from '@mui/icons-material/Add';
import type { Rule, SubclientContent } from '../../../../shared/domain/rules';
import { errorsUnder } from '../field-errors';
import { RuleConfigureDialog } from './RuleConfigureDialog';
import { RuleList } from './RuleList';
import { RulePreviewPanel } from './RulePreviewPanel';
import { newRule } from './rule-text';
import { useRulePreview } from './use-rule-preview';

export interface RuleEditorProps {
  backupSetId: string | null;
  content: SubclientContent;
  onChange(content: SubclientContent): void;
  /** Errors relative to the content ('rules.1.pattern'), e.g. from a refused Save. */
  errors: Record<string, string>;
  hostOptions: readonly string[];
  disabled?: boolean;
}

type Editing = { list: 'rules' | 'exclusions'; index: number } | null;

/**
 * Auto-discovery rules of one subclient (FIG. 4, 5A): rule rows with their Configure dialogs,
 * all/any, exclusions, and the live preview of the VMs they select right now.
 */
export function RuleEditor(props: RuleEditorProps) {
  const { content } = props;
  const [editing, setEditing] = useState<Editing>(null);
  const matchLabelId = useId();
  const preview = useRulePreview(props.backupSetId, content);
  const live = preview.phase === 'invalid' ? preview.fieldErrors : {};
  const errors = { ...props.errors, ...live };
  const editedRule = editing === null ? undefined : content[editing.list][editing.index];

  function setList(list: 'rules' | 'exclusions', rules: Rule[]) {
    props.onChange({ ...content, [list]: rules });
  }

  return (
    <Box
      sx={{
        display: 'grid',
        gap: 2,
        gridTemplateColumns: { xs: '1fr', md: 'minmax(0, 3fr) minmax(260px, 2fr)' },
        alignItems: 'start',
      }}
    >
      <Stack spacing={2} sx={{ minWidth: 0 }}>
        <FormControl disabled={props.disabled}>
          <FormLabel id={matchLabelId}>A VM belongs to this subclient when it matches</FormLabel>
          <RadioGroup
            row
            aria-labelledby={matchLabelId}
            value={content.match}
            onChange={(e) => props.onChange({ ...content, match: e.target.value as 'all' | 'any' })}
          >
            <FormControlLabel value="any" control={<Radio />} label="Any rule" />
            <FormControlLabel value="all" control={<Radio />} label="All rules" />
          </RadioGroup>
        </FormControl>
        <Box component="section" aria-label="Rules">
          <Typography variant="subtitle2" component="h3" sx={{ mb: 1 }}>
            Rules
          </Typography>
          <RuleList
            noun="Rule"
            rules={content.rules}
            errors={errorsUnder(errors, 'rules.')}
            disabled={props.disabled}
            emptyText="No rule yet: this subclient only gets the VMs assigned to it manually."
            onChange={(rules) => setList('rules', rules)}
            onConfigure={(index) => setEditing({ list: 'rules', index })}
          />
          <Button
            startIcon={<AddIcon />}
            onClick={() => setList('rules', [...content.rules, newRule('name')])}
            disabled={props.disabled || content.rules.length >= 50}
            sx={{ mt: 1 }}
          >
            Add rule
          </Button>
        </Box>
        <Box component="section" aria-label="Exclusions">
          <Typography variant="subtitle2" component="h3">
            Exclusions
          </Typography>
          <Typography variant="caption" color="text.secondary" component="p" sx={{ mb: 1 }}>
            A VM matching any exclusion never joins by rule (a manual assignment still wins).
          </Typography>
          <RuleList
            noun="Exclusion"
            rules={content.exclusions}
            errors={errorsUnder(errors, 'exclusions.')}
            disabled={props.disabled}
            emptyText="No exclusion."
            onChange={(rules) => setList('exclusions', rules)}
            onConfigure={(index) => setEditing({ list: 'exclusions', index })}
          />
          <Button
            startIcon={<AddIcon />}
            onClick={() => setList('exclusions', [...content.exclusions, newRule('name')])}
            disabled={props.disabled || content.exclusions.length >= 50}
            sx={{ mt: 1 }}
          >
            Add exclusion
          </Button>
        </Box>
      </Stack>
      <RulePreviewPanel state={preview} title="VMs these rules match right now" />
      {editing !== null && editedRule !== undefined && (
        <RuleConfigureDialog
          rule={editedRule}
          label={`${editing.list === 'rules' ? 'Rule' : 'Exclusion'} ${editing.index + 1}`}
          backupSetId={props.backupSetId}
          hostOptions={props.hostOptions}
          patternError={errors[`${editing.list}.${editing.index}.pattern`]}
          onCancel={() => setEditing(null)}
          onSave={(rule) => {
            setList(
              editing.list,
              content[editing.list].map((r, i) => (i === editing.index ? rule : r)),
            );
            setEditing(null);
          }}
        />
      )}
    </Box>
  );
}
