import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';

/**
 * Asked when Escape, a click beside the dialog or Cancel would throw away unsaved changes. The
 * focus starts on "Keep editing" so a second Escape or Enter keeps the work.
 */
export function DiscardChangesDialog(props: {
  /** What would be lost, in a sentence */
  message: string;
  onKeepEditing(): void;
  onDiscard(): void;
}) {
  const titleId = 'discard-changes-title';
  return (
    <Dialog open onClose={props.onKeepEditing} aria-labelledby={titleId}>
      <DialogTitle id={titleId}>Discard changes?</DialogTitle>
      <DialogContent>
        <DialogContentText>{props.message}</DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onKeepEditing} autoFocus>
          Keep editing
        </Button>
        <Button color="error" onClick={props.onDiscard}>
          Discard
        </Button>
      </DialogActions>
    </Dialog>
  );
}
