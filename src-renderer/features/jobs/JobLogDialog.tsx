import { useEffect, useId, useRef, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import RefreshIcon from '@mui/icons-material/Refresh';
import type { Job } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
import { useStore } from '../../store';
import { isActive } from '../../store/jobs-slice';
import { MONO_FONT_STACK } from '../../theme/theme';
import { jobTitle } from './job-text';

const REFRESH_MS = 2000;

/** Copies text; falls back to a hidden textarea where the Clipboard API is not offered. */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard !== undefined) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Denied (no focus, permissions): try the older way below.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) throw new Error('the browser refused to copy');
}

/** The job's log as the engine writes it; refreshed every 2 s while the job runs. */
export function JobLogDialog(props: { job: Job; onClose(): void }) {
  const { job, onClose } = props;
  const log = useStore((s) => (s.jobLog?.jobId === job.id ? s.jobLog : null));
  const loadJobLog = useStore((s) => s.loadJobLog);
  const closeJobLog = useStore((s) => s.closeJobLog);
  const notify = useStore((s) => s.notify);
  const running = isActive(job);
  const titleId = useId();
  const preRef = useRef<HTMLPreElement>(null);
  const [followTail, setFollowTail] = useState(true);

  useEffect(() => () => closeJobLog(), [closeJobLog]);

  // Read now; while the job runs, again every 2 s. When it ends this runs once more and so
  // catches the final lines.
  useEffect(() => {
    void loadJobLog(job.id);
    if (!running) return;
    const timer = setInterval(() => void loadJobLog(job.id), REFRESH_MS);
    return () => clearInterval(timer);
  }, [running, job.id, loadJobLog]);

  const text = log?.text ?? '';
  useEffect(() => {
    const pre = preRef.current;
    if (pre !== null && followTail) pre.scrollTop = pre.scrollHeight;
  }, [text, followTail]);

  async function copy() {
    try {
      await copyText(text);
      notify('success', 'The log is on the clipboard.');
    } catch (err) {
      notify('error', `Could not copy the log: ${describeError(err)}`);
    }
  }

  const lines = text === '' ? 0 : text.trimEnd().split('\n').length;
  return (
    <Dialog open onClose={onClose} maxWidth="lg" fullWidth aria-labelledby={titleId}>
      <DialogTitle id={titleId}>Log of “{jobTitle(job)}”</DialogTitle>
      <DialogContent>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          {lines} line{lines === 1 ? '' : 's'}
          {/* The log stays as the engine wrote it, so a copy pasted into a ticket is unambiguous. */}
          {' · times in UTC (ISO 8601), as written by the engine'}
          {running ? ' · refreshing every 2 s while the job runs' : ''}
        </Typography>
        {log?.status === 'loading' && log.fetchedAt === null && (
          <LinearProgress aria-label="Loading the log" />
        )}
        {log?.error != null && (
          <Alert severity="error" sx={{ mb: 1 }}>
            Could not read the log: {describeError(log.error)}
          </Alert>
        )}
        <Box
          component="pre"
          ref={preRef}
          tabIndex={0}
          aria-label="Job log"
          onScroll={(event) => {
            const el = event.currentTarget;
            setFollowTail(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
          }}
          sx={{
            m: 0,
            p: 1.5,
            height: '60vh',
            overflow: 'auto',
            fontFamily: MONO_FONT_STACK,
            fontSize: 12,
            lineHeight: 1.5,
            whiteSpace: 'pre-wrap',
            wordBreak: 'break-word',
            bgcolor: 'action.hover',
            borderRadius: 1,
          }}
        >
          {text === '' && log?.status === 'ready' ? 'The log is empty.' : text}
        </Box>
      </DialogContent>
      <DialogActions>
        <Button startIcon={<RefreshIcon />} onClick={() => void loadJobLog(job.id)}>
          Refresh
        </Button>
        <Button startIcon={<ContentCopyIcon />} onClick={() => void copy()} disabled={text === ''}>
          Copy
        </Button>
        <Button variant="contained" onClick={onClose} autoFocus>
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
