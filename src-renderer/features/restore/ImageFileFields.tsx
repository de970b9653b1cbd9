import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { ImageFormat } from '../../../shared/domain/restore';
import { isAbsoluteFolder } from './restore-paths';

export const IMAGE_FORMATS: { value: ImageFormat; label: string; extension: string }[] = [
  { value: 'raw', label: 'Raw image', extension: 'raw' },
  { value: 'qcow2', label: 'QCOW2 (QEMU/KVM)', extension: 'qcow2' },
  { value: 'vmdk', label: 'VMDK (VMware)', extension: 'vmdk' },
  { value: 'vhd', label: 'VHD (Hyper-V, Azure)', extension: 'vhd' },
  { value: 'vhdx', label: 'VHDX (Hyper-V)', extension: 'vhdx' },
];

const EXTENSIONS = /\.(raw|img|qcow2|vmdk|vhdx?)$/i;

export function extensionOf(format: ImageFormat): string {
  return IMAGE_FORMATS.find((f) => f.value === format)?.extension ?? format;
}

/** A typed file name follows a format change when it ends in an image extension. */
export function withFormatExtension(path: string, format: ImageFormat): string {
  return EXTENSIONS.test(path) ? path.replace(EXTENSIONS, `.${extensionOf(format)}`) : path;
}

/**
 * A file name whose image extension names another format than the one chosen ("web.raw" written
 * as VHDX): allowed, but worth a word before a person has a VHDX file called .raw.
 */
export function formatMismatch(path: string, format: ImageFormat): string | null {
  const found = EXTENSIONS.exec(path.trim())?.[1]?.toLowerCase();
  if (found === undefined) return null;
  const expected = extensionOf(format);
  if (found === expected || (format === 'raw' && found === 'img')) return null;
  const label = IMAGE_FORMATS.find((f) => f.value === format)?.label ?? format;
  return `The name ends in .${found}, but the file will be written as ${label}: name it .${expected}?`;
}

/** Why a destination file path cannot be used, or null. */
export function imageFileError(path: string): string | null {
  const trimmed = path.trim();
  if (trimmed === '') return 'Enter the path of the image file to write';
  if (!isAbsoluteFolder(trimmed)) return 'Enter a full path, such as /var/tmp/disk.qcow2';
  if (/[\\/]$/.test(trimmed)) return 'End the path with a file name';
  return null;
}

export interface ImageFileValue {
  format: ImageFormat;
  dest: string;
  overwrite: boolean;
}

/** FIG. 13B / 14B: format, destination file on this console's host, overwrite. */
export function ImageFileFields(props: {
  value: ImageFileValue;
  onChange(value: ImageFileValue): void;
  destError: string | null;
  placeholder: string;
  disabled: boolean;
  autoFocus?: boolean;
}) {
  const { value, onChange, destError, placeholder, disabled } = props;
  return (
    <Stack spacing={2}>
      <TextField
        select
        label="Format"
        value={value.format}
        onChange={(e) => {
          const format = e.target.value as ImageFormat;
          onChange({ ...value, format, dest: withFormatExtension(value.dest, format) });
        }}
        disabled={disabled}
      >
        {IMAGE_FORMATS.map((format) => (
          <MenuItem key={format.value} value={format.value}>
            {format.label}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        label="Destination file"
        value={value.dest}
        onChange={(e) => onChange({ ...value, dest: e.target.value })}
        placeholder={placeholder}
        error={destError !== null}
        helperText={
          destError ??
          formatMismatch(value.dest, value.format) ??
          "Full path on this console's host; the folder must exist"
        }
        disabled={disabled}
        required
        autoFocus={props.autoFocus}
        slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off' } }}
      />
      <FormControlLabel
        control={
          <Checkbox
            checked={value.overwrite}
            onChange={(e) => onChange({ ...value, overwrite: e.target.checked })}
            disabled={disabled}
          />
        }
        label="Overwrite the file if it exists"
      />
    </Stack>
  );
}
