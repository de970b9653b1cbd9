import { useId, useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import DialogContentText from '@mui/material/DialogContentText';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormGroup from '@mui/material/FormGroup';
import FormLabel from '@mui/material/FormLabel';
import MenuItem from '@mui/material/MenuItem';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { RestorePoint } from '../../../shared/domain/jobs';
import type { ConflictPolicy, PathMode } from '../../../shared/domain/restore';
import { ApiError, describeError } from '../../api/api-error';
import { formatCount } from '../../lib/format';
import { useStore } from '../../store';
import { formatPointTime } from './browse-time';
import { isAbsoluteFolder, joinDestination, restoredRelativePath } from './restore-paths';
import { suggestedDestination } from './suggested-destination';
import { useEngineQuery } from './use-engine-query';
import { RestoreDialogFrame } from './RestoreDialogFrame';

type PathKind = PathMode['kind'];

/** Reads a level count typed in the dialog: a whole number in range, else a sentence why not. */
export function parseLevels(text: string): { levels: number } | { error: string } {
  if (!/^\d+$/.test(text.trim())) return { error: 'Enter a whole number of levels' };
  const levels = Number(text.trim());
  // Removing 0 levels is "preserve"; keeping 0 would keep nothing.
  if (levels < 1 || levels > 255) return { error: 'Between 1 and 255 levels' };
  return { levels };
}

/** FIG. 12 "Restore options for all selected items", for the files and folders selected. */
export function FileRestoreDialog(props: {
  vmUuid: string;
  vmName: string;
  point: RestorePoint;
  paths: string[];
  /** the first path is a folder */
  firstIsFolder: boolean;
  onClose(): void;
  onStarted(): void;
}) {
  const { vmUuid, vmName, point, paths, firstIsFolder, onClose, onStarted } = props;
  const startRestore = useStore((s) => s.startRestore);
  const titleId = useId();
  const restoreFolder = useStore((s) => s.appInfo?.restoreFolder);
  // On this computer: a folder of its own under the restore folder; in the guest, the person's.
  const localSuggestion = suggestedDestination(restoreFolder, [vmName], point.time);
  const [destination, setDestination] = useState<'local' | 'guest'>('local');
  const [dest, setDest] = useState(localSuggestion);
  const [conflict, setConflict] = useState<ConflictPolicy>('skip');
  const [pathKind, setPathKind] = useState<PathKind>('preserve');
  const [levelsText, setLevelsText] = useState('1');
  const [permissions, setPermissions] = useState(true);
  const [ownership, setOwnership] = useState(true);
  const [timestamps, setTimestamps] = useState(true);
  const [destError, setDestError] = useState<string | null>(null);
  const [levelsServerError, setLevelsServerError] = useState<string | null>(null);
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // FIG. 12 destination computer "the VM itself": offered once its QEMU guest agent answered.
  const agent = useEngineQuery('vm.guestAgentStatus', { vm: vmUuid });
  const agentReady = agent.data?.available === true;
  const agentLabel = agent.loading
    ? 'checking the QEMU guest agent…'
    : agentReady
      ? `through the QEMU guest agent${agent.data?.guestOs ? `, ${agent.data.guestOs}` : ''}`
      : 'QEMU guest agent not responding';

  const levels = pathKind === 'preserve' ? null : parseLevels(levelsText);
  const levelsError = levels !== null && 'error' in levels ? levels.error : levelsServerError;
  const pathMode: PathMode | null =
    pathKind === 'preserve'
      ? { kind: 'preserve' }
      : levels !== null && 'levels' in levels
        ? { kind: pathKind, levels: levels.levels }
        : null;
  const first = paths[0] ?? '';
  // A folder's own level may be removed by the path mode: preview where its content goes.
  const previewed = firstIsFolder ? `${first.replace(/\/+$/, '')}/…` : first;
  const preview =
    pathMode === null
      ? null
      : joinDestination(dest.trim() || '<destination>', restoredRelativePath(previewed, pathMode));

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const folder = dest.trim();
    const problem =
      folder === ''
        ? 'Enter the destination folder'
        : !isAbsoluteFolder(folder)
          ? 'Enter a full path, such as /var/tmp/restore or C:\\Restore'
          : null;
    setDestError(problem);
    if (problem !== null || pathMode === null) return;
    setBusy(true);
    setGeneral(null);
    setLevelsServerError(null);
    try {
      await startRestore('restore.files', {
        vm: vmUuid,
        pointId: point.id,
        paths,
        destination,
        dest: folder,
        conflict,
        pathMode,
        restorePermissions: permissions,
        restoreOwnership: ownership,
        restoreTimestamps: timestamps,
      });
      onStarted();
      onClose();
    } catch (err) {
      const field = err instanceof ApiError ? String(err.details?.['field'] ?? '') : '';
      if (field === 'dest') setDestError(describeError(err));
      else if (field.startsWith('pathMode')) setLevelsServerError(describeError(err));
      else setGeneral(describeError(err));
      setBusy(false);
    }
  }

  const levelsField = (kind: PathKind) =>
    pathKind === kind && (
      <TextField
        size="small"
        label="Levels"
        value={levelsText}
        onChange={(e) => {
          setLevelsText(e.target.value);
          setLevelsServerError(null);
        }}
        error={levelsError !== null}
        helperText={levelsError ?? ' '}
        disabled={busy}
        sx={{ width: 110, ml: 4 }}
        slotProps={{ htmlInput: { inputMode: 'numeric', 'aria-label': 'Number of levels' } }}
      />
    );

  return (
    <RestoreDialogFrame
      titleId={titleId}
      title={<>Restore options for all selected items</>}
      busy={busy}
      onClose={onClose}
      onSubmit={(e) => void submit(e)}
      submitLabel="Restore"
      submitDisabled={pathMode === null}
    >
      <DialogContentText sx={{ mb: 2 }}>
        {formatCount(paths.length, 'item')} of {vmName} from the point of{' '}
        {formatPointTime(point.time)}: {paths.slice(0, 3).join(', ')}
        {paths.length > 3 ? ', …' : ''}
      </DialogContentText>
      <Stack spacing={2}>
        <TextField
          select
          label="Destination computer"
          value={destination}
          onChange={(e) => {
            const next = e.target.value as 'local' | 'guest';
            if (next === 'guest' && dest === localSuggestion) setDest('');
            if (next === 'local' && dest === '') setDest(localSuggestion);
            setDestination(next);
          }}
          disabled={busy}
          helperText={
            destination === 'guest'
              ? `Written inside ${vmName} through the QEMU guest agent, while the VM runs`
              : 'The machine where the Hyperkeep engine runs'
          }
        >
          <MenuItem value="local">This console&apos;s host</MenuItem>
          <MenuItem value="guest" disabled={!agentReady}>
            <Box>
              {vmName} ({agentLabel})
              {!agentReady && !agent.loading && (
                <Typography variant="caption" component="div" sx={{ whiteSpace: 'normal' }}>
                  {agent.data?.message ?? agent.error?.message ?? ''}
                </Typography>
              )}
            </Box>
          </MenuItem>
        </TextField>
        <TextField
          label="Destination folder"
          value={dest}
          onChange={(e) => {
            setDest(e.target.value);
            setDestError(null);
          }}
          placeholder={
            destination === 'guest'
              ? agent.data?.windows
                ? 'C:\\Restore'
                : '/srv/restore'
              : '/var/tmp/restore'
          }
          error={destError !== null}
          helperText={destError ?? 'Full path of the folder to restore into'}
          required
          autoFocus
          disabled={busy}
          slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off' } }}
        />
        <FormControl disabled={busy}>
          <FormLabel id={`${titleId}-conflict`}>When a file already exists</FormLabel>
          <RadioGroup
            row
            aria-labelledby={`${titleId}-conflict`}
            value={conflict}
            onChange={(e) => setConflict(e.target.value as ConflictPolicy)}
          >
            <FormControlLabel
              value="overwrite"
              control={<Radio />}
              label="Unconditional overwrite"
            />
            <FormControlLabel value="skip" control={<Radio />} label="Skip it" />
            <FormControlLabel value="rename" control={<Radio />} label="Rename the restored one" />
          </RadioGroup>
        </FormControl>
        <FormControl disabled={busy}>
          <FormLabel id={`${titleId}-paths`}>Source paths</FormLabel>
          <RadioGroup
            aria-labelledby={`${titleId}-paths`}
            value={pathKind}
            onChange={(e) => setPathKind(e.target.value as PathKind)}
          >
            <FormControlLabel value="preserve" control={<Radio />} label="Preserve source paths" />
            <FormControlLabel
              value="strip"
              control={<Radio />}
              label="Remove levels from the beginning of the source path"
            />
            {levelsField('strip')}
            <FormControlLabel
              value="keepLast"
              control={<Radio />}
              label="Keep levels from the end of the source path"
            />
            {levelsField('keepLast')}
          </RadioGroup>
        </FormControl>
        <Box
          role="status"
          aria-label="Resulting path"
          sx={{ bgcolor: 'action.hover', borderRadius: 1, px: 1.5, py: 1 }}
        >
          <Typography variant="caption" color="text.secondary" component="div">
            {firstIsFolder ? `The content of ${first} goes to` : `${first} is restored as`}
          </Typography>
          <Typography variant="body2" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>
            {preview ?? '—'}
          </Typography>
        </Box>
        <FormGroup>
          <FormControlLabel
            control={
              <Checkbox
                checked={permissions}
                onChange={(e) => setPermissions(e.target.checked)}
                disabled={busy}
              />
            }
            label="Restore ACLs and permissions"
          />
          <FormControlLabel
            control={
              <Checkbox
                checked={ownership}
                onChange={(e) => setOwnership(e.target.checked)}
                disabled={busy}
              />
            }
            label="Restore ownership (where the destination allows it)"
          />
          <FormControlLabel
            control={
              <Checkbox
                checked={timestamps}
                onChange={(e) => setTimestamps(e.target.checked)}
                disabled={busy}
              />
            }
            label="Restore modification times"
          />
        </FormGroup>
        {general !== null && <Alert severity="error">{general}</Alert>}
      </Stack>
    </RestoreDialogFrame>
  );
}
