import { useState, type FormEvent } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import InputAdornment from '@mui/material/InputAdornment';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import ClearIcon from '@mui/icons-material/Clear';
import SearchIcon from '@mui/icons-material/Search';

/**
 * Which points a search covers. "Up to this point" follows the browse time: after "browse data
 * before 03:50" a search must not answer from a later point unless asked to (review M8).
 */
export type SearchScope = 'point' | 'upToPoint' | 'all';

export const SEARCH_SCOPES: { value: SearchScope; label: string; results: string }[] = [
  { value: 'point', label: 'This point', results: 'in this point' },
  { value: 'upToPoint', label: 'This and older points', results: 'in this and older points' },
  { value: 'all', label: 'All points, newer too', results: 'in every point, newer ones too' },
];

export interface FileSearch {
  /** a glob for files.search (* and ?, case-insensitive) */
  pattern: string;
  scope: SearchScope;
}

/** A plain word finds names containing it; * and ? make it a glob as typed. */
export function searchPattern(text: string): string {
  const trimmed = text.trim();
  return /[*?]/.test(trimmed) ? trimmed : `*${trimmed}*`;
}

/** Name search in this point, up to it, or in all of the VM's points; Enter searches, Esc clears. */
export function FileSearchBar(props: {
  active: FileSearch | null;
  onSearch(search: FileSearch | null): void;
}) {
  const { active, onSearch } = props;
  const [text, setText] = useState('');
  const [scope, setScope] = useState<SearchScope>('point');

  function submit(event: FormEvent) {
    event.preventDefault();
    if (text.trim() === '') onSearch(null);
    else onSearch({ pattern: searchPattern(text), scope });
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
      <TextField
        select
        size="small"
        label="Search in"
        value={scope}
        onChange={(e) => {
          const next = e.target.value as SearchScope;
          setScope(next);
          if (active !== null) onSearch({ ...active, scope: next });
        }}
        sx={{ width: 210 }}
      >
        {SEARCH_SCOPES.map((option) => (
          <MenuItem key={option.value} value={option.value}>
            {option.label}
          </MenuItem>
        ))}
      </TextField>
      <Button type="submit" variant="outlined" size="small">
        Search
      </Button>
    </Box>
  );
}
