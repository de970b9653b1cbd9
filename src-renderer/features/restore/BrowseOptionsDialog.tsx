import { useId, useMemo, useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Autocomplete from '@mui/material/Autocomplete';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { RestorePoint } from '../../../shared/domain/jobs';
import type { BrowseOptions, RestoreIntent } from '../../store/restore-slice';
import {
  formatPointTime,
  localTimeZone,
  nowInZone,
  pointAtOrBefore,
  throughEndOfSecond,
  timeZoneLabel,
  timeZoneNames,
  zonedIso,
} from './browse-time';

const INTENTS: { value: RestoreIntent; label: string; help: string }[] = [
  { value: 'files', label: 'Individual files/folders', help: 'browse the file systems' },
  { value: 'volume', label: 'Entire volume', help: 'a partition or LVM volume' },
  { value: 'vm', label: 'VMs/virtual disks', help: 'a whole VM, or one of its disks' },
];

/**
 * FIG. 11 Browse options: the latest data or data before a moment typed in a chosen time zone,
 * who serves the browse (this console), and the type of restore intended.
 */
export function BrowseOptionsDialog(props: {
  vmName: string;
  points: RestorePoint[];
  initial: BrowseOptions | null;
  onOk(options: BrowseOptions): void;
  onCancel(): void;
}) {
  const { vmName, points, initial, onOk, onCancel } = props;
  const titleId = useId();
  const [latest, setLatest] = useState(initial?.at === undefined);
  const [timeZone, setTimeZone] = useState(initial?.timeZone ?? localTimeZone());
  const [{ date, time }, setMoment] = useState(() => initialMoment(initial, timeZone));
  const [intent, setIntent] = useState<RestoreIntent>(initial?.intent ?? 'files');
  const [submitted, setSubmitted] = useState(false);
  const zones = useMemo(() => timeZoneNames(), []);

  const typed = latest ? undefined : zonedIso(date, time, timeZone);
  // "Before 03:50:00" as typed means up to the end of that second (review M7).
  const at = typed === undefined ? undefined : throughEndOfSecond(typed);
  const resolved = latest ? points[0] : at === undefined ? undefined : pointAtOrBefore(points, at);
  const oldest = points.at(-1);
  const momentError = latest
    ? null
    : at === undefined
      ? 'Enter a valid date and time'
      : resolved === undefined
        ? `No restore point of ${vmName} at or before this moment${oldest ? ` (the oldest is from ${formatPointTime(oldest.time)})` : ''}`
        : null;
  const repository = resolved?.repository ?? points[0]?.repository ?? 'default';

  function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    if (momentError !== null) return;
    onOk({ intent, at, timeZone });
  }

  return (
    <Dialog open onClose={onCancel} maxWidth="sm" fullWidth aria-labelledby={titleId}>
      <Box component="form" noValidate onSubmit={submit}>
        <DialogTitle id={titleId}>Browse options for {vmName}</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            <FormControl>
              <FormLabel id={`${titleId}-when`}>Data to browse</FormLabel>
              <RadioGroup
                aria-labelledby={`${titleId}-when`}
                value={latest ? 'latest' : 'before'}
                onChange={(e) => setLatest(e.target.value === 'latest')}
              >
                <FormControlLabel
                  value="latest"
                  control={<Radio />}
                  label={`Browse the latest data${points[0] ? ` (${formatPointTime(points[0].time)})` : ''}`}
                />
                <FormControlLabel value="before" control={<Radio />} label="Specify browse time" />
              </RadioGroup>
            </FormControl>
            <Stack direction="row" spacing={2} sx={{ pl: 4 }}>
              <TextField
                label="Browse data before (date)"
                type="date"
                value={date}
                onChange={(e) => setMoment({ date: e.target.value, time })}
                disabled={latest}
                error={submitted && momentError !== null && !latest}
                slotProps={{ inputLabel: { shrink: true } }}
                sx={{ flex: 1 }}
              />
              <TextField
                label="Time"
                type="time"
                value={time}
                onChange={(e) => setMoment({ date, time: e.target.value })}
                disabled={latest}
                error={submitted && momentError !== null && !latest}
                slotProps={{ inputLabel: { shrink: true }, htmlInput: { step: 1 } }}
                sx={{ width: 180 }}
              />
            </Stack>
            <Box sx={{ pl: 4 }}>
              <Autocomplete
                options={zones}
                value={timeZone}
                disableClearable
                disabled={latest}
                onChange={(_event, value) => setTimeZone(value)}
                getOptionLabel={(zone) => timeZoneLabel(zone)}
                renderInput={(params) => (
                  <TextField
                    {...params}
                    label="Time zone"
                    error={submitted && momentError !== null && !latest}
                    helperText={
                      latest
                        ? ' '
                        : (momentError ??
                          (resolved
                            ? `Browses the point of ${formatPointTime(resolved.time)}`
                            : ' '))
                    }
                  />
                )}
              />
            </Box>
            <Stack direction="row" spacing={2}>
              <TextField
                label="Proxy"
                value="This console"
                disabled
                helperText="The Hyperkeep engine reads and restores"
                sx={{ flex: 1 }}
              />
              <TextField
                label="Storage node"
                value={`This console · ${repository}`}
                disabled
                helperText="The repository holding the point"
                sx={{ flex: 1 }}
              />
            </Stack>
            <FormControl>
              <FormLabel id={`${titleId}-intent`}>Type of intended restore</FormLabel>
              <RadioGroup
                aria-labelledby={`${titleId}-intent`}
                value={intent}
                onChange={(e) => setIntent(e.target.value as RestoreIntent)}
              >
                {INTENTS.map((option) => (
                  <FormControlLabel
                    key={option.value}
                    value={option.value}
                    control={<Radio />}
                    label={option.label}
                    slotProps={{ typography: { title: option.help } }}
                  />
                ))}
              </RadioGroup>
            </FormControl>
            {submitted && momentError !== null && !latest && (
              <Alert severity="error">{momentError}</Alert>
            )}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onCancel}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={points.length === 0}>
            OK
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}

/** The moment shown again as typed before, else now in the zone (the usual "just before now"). */
function initialMoment(initial: BrowseOptions | null, timeZone: string) {
  const iso = initial?.at;
  if (iso !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(iso)) {
    return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
  }
  return nowInZone(timeZone);
}
