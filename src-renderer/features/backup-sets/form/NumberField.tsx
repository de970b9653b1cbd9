import { useState } from 'react';
import TextField, { type TextFieldProps } from '@mui/material/TextField';

type NumberFieldProps = Omit<TextFieldProps, 'value' | 'onChange' | 'type'> & {
  value: number;
  /** NaN while the box holds no whole number: the form's validation says so on Save. */
  onChange(value: number): void;
  min?: number;
  max?: number;
};

/**
 * A whole-number input that lets the administrator clear it and type afresh (a controlled
 * <input type=number> bound to a number would snap an emptied box back to 0).
 */
export function NumberField({ value, onChange, min, max, slotProps, ...rest }: NumberFieldProps) {
  const [text, setText] = useState(() => (Number.isNaN(value) ? '' : String(value)));
  // Follow a value set from outside (e.g. a reset), but not the NaN this box itself reported.
  const shown = Number.isNaN(value) || Number(text) === value ? text : String(value);
  return (
    <TextField
      {...rest}
      value={shown}
      onChange={(e) => {
        const next = e.target.value.trim();
        setText(next);
        onChange(/^\d+$/.test(next) ? Number(next) : Number.NaN);
      }}
      slotProps={{
        ...slotProps,
        htmlInput: { inputMode: 'numeric', min, max, ...(slotProps?.htmlInput ?? {}) },
      }}
    />
  );
}
