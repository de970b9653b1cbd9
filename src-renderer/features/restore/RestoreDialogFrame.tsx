import type { FormEvent, ReactNode } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';

/**
 * The frame every restore dialog shares: a form in a dialog that cannot be dismissed while its
 * job is being started, Cancel, and the submit button ("Starting…" while busy).
 */
export function RestoreDialogFrame(props: {
  titleId: string;
  title: ReactNode;
  busy: boolean;
  onClose(): void;
  onSubmit(e: FormEvent): void;
  submitLabel: string;
  /** 'error' for restores that overwrite something. */
  submitColor?: 'primary' | 'error';
  submitDisabled?: boolean;
  children: ReactNode;
}) {
  const { titleId, busy, onClose } = props;
  return (
    <Dialog
      open
      onClose={() => {
        if (!busy) onClose();
      }}
      maxWidth="sm"
      fullWidth
      aria-labelledby={titleId}
    >
      {/* A flex column that may shrink: the content scrolls, title and buttons stay in view. */}
      <Box
        component="form"
        noValidate
        onSubmit={props.onSubmit}
        sx={{ display: 'flex', flexDirection: 'column', minHeight: 0 }}
      >
        <DialogTitle id={titleId}>{props.title}</DialogTitle>
        <DialogContent>{props.children}</DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button
            type="submit"
            variant="contained"
            color={props.submitColor ?? 'primary'}
            disabled={busy || Boolean(props.submitDisabled)}
          >
            {busy ? 'Starting…' : props.submitLabel}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
