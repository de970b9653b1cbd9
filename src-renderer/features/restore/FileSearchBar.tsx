import { useState, type FormEvent } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import IconButton from '@mui/material/IconButton';
import InputAdornment from '@mui/material/InputAdornment';
import TextField from '@mui/material/TextField';
import ClearIcon from '@mui/icons-material/Clear';
import SearchIcon from '@mui/icons-material/Search';

export interface FileSearch {
  /** a glob for files.search (* and ?, case-insensitive) */
  pattern: string;
  allPoints: boolean;
}

/** A plain word finds names containing it; * and ? make it a glob as typed. */
export function searchPattern(text: string): string {
  const trimmed = text.trim();
  return /[*?]/.test(trimmed) ? trimmed : `*${trimmed}*`;
}

/** Name search in this point or across all of the VM's points; Enter searches, Esc clears. */
export function FileSearchBar(props: {
  active: FileSearch | null;
  onSearch(search: FileSearch | null): void;
}) {
  const { active, onSearch } = props;
  const [text, setText] = useState('');
  const [allPoints, setAllPoints] = useState(false);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (text.trim() === '') onSearch(null);
    else onSearch({ pattern: searchPattern(text), allPoints });
  }

  function clear() {
    setText('');
    onSearch(null);
  }

  return (
    <Box
      component="form"
      role="search"
      onSubmit={submit}
      sx={{ display: 'flex', alignItems: 'center', gap: 1, ml: 'auto', flexWrap: 'wrap' }}
    >
      <TextField
        size="small"
        label="Search file names"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && (text !== '' || active !== null)) {
            e.stopPropagation();
            clear();
          }
        }}
        sx={{ width: 260 }}
        slotProps={{
          htmlInput: { maxLength: 255, spellCheck: false },
          input: {
            startAdornment: (
              <InputAdornment position="start">
                <SearchIcon fontSize="small" />
              </InputAdornment>
            ),
            endAdornment:
              text !== '' || active !== null ? (
                <InputAdornment position="end">
                  <IconButton size="small" aria-label="Clear search" onClick={clear}>
                    <ClearIcon fontSize="small" />
                  </IconButton>
                </InputAdornment>
              ) : undefined,
          },
        }}
      />
      <FormControlLabel
        control={
          <Checkbox
            size="small"
            checked={allPoints}
            onChange={(e) => {
              setAllPoints(e.target.checked);
              if (active !== null) onSearch({ ...active, allPoints: e.target.checked });
            }}
          />
        }
        label="All restore points"
      />
      <Button type="submit" variant="outlined" size="small">
        Search
      </Button>
    </Box>
  );
}
