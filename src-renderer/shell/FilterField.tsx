import InputAdornment from '@mui/material/InputAdornment';
import TextField from '@mui/material/TextField';
import SearchIcon from '@mui/icons-material/Search';

/** The small search box above a list that narrows it as one types (VMs, jobs, restore's VMs). */
export function FilterField(props: {
  label: string;
  value: string;
  onChange(text: string): void;
  placeholder?: string;
  width?: number;
}) {
  return (
    <TextField
      label={props.label}
      placeholder={props.placeholder}
      size="small"
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
      sx={props.width === undefined ? undefined : { width: props.width }}
      slotProps={{
        input: {
          startAdornment: (
            <InputAdornment position="start">
              <SearchIcon fontSize="small" />
            </InputAdornment>
          ),
        },
        htmlInput: { type: 'search' },
      }}
    />
  );
}
