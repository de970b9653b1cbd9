import { useState } from 'react';
import Autocomplete from '@mui/material/Autocomplete';
import Chip from '@mui/material/Chip';
import TextField from '@mui/material/TextField';
import { MONO_FONT_STACK } from '../../../theme/theme';

export interface ChipListFieldProps {
  label: string;
  values: readonly string[];
  onChange(values: string[]): void;
  helperText: string;
  error?: string;
  /** Suggestions (e.g. discovered VM names); any other text is accepted too. */
  options?: readonly string[];
  placeholder?: string;
}

/** A list of names or patterns typed one by one (Enter, comma or paste), shown as chips. */
export function ChipListField(props: ChipListFieldProps) {
  const [text, setText] = useState('');
  return (
    <Autocomplete
      multiple
      freeSolo
      autoSelect
      options={[...(props.options ?? [])]}
      value={[...props.values]}
      onChange={(_event, values) => props.onChange(unique(values))}
      inputValue={text}
      onInputChange={(_event, typed, reason) => {
        // Pasting "a, b, c" or typing a comma adds the finished entries at once.
        if (reason === 'input' && typed.includes(',')) {
          const parts = typed.split(',').map((p) => p.trim());
          const done = parts.slice(0, -1).filter((p) => p !== '');
          if (done.length > 0) props.onChange(unique([...props.values, ...done]));
          setText(parts.at(-1) ?? '');
          return;
        }
        setText(typed);
      }}
      renderValue={(values, getItemProps) =>
        values.map((value, index) => {
          const { key, ...itemProps } = getItemProps({ index });
          return (
            <Chip
              key={key}
              size="small"
              label={value}
              sx={{ fontFamily: MONO_FONT_STACK }}
              {...itemProps}
            />
          );
        })
      }
      renderInput={(params) => (
        <TextField
          {...params}
          label={props.label}
          placeholder={props.values.length === 0 ? props.placeholder : undefined}
          error={props.error !== undefined}
          helperText={props.error ?? props.helperText}
        />
      )}
    />
  );
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter((v) => v !== ''))];
}
