import type { ReactNode } from 'react';
import Box from '@mui/material/Box';

/** One tab's content; only the selected tab is mounted (its live previews stop when hidden). */
export function TabPanel(props: { id: string; tabId: string; children: ReactNode }) {
  return (
    <Box role="tabpanel" id={props.id} aria-labelledby={props.tabId} sx={{ pt: 2 }}>
      {props.children}
    </Box>
  );
}
