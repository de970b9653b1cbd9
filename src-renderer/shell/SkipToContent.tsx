import Link from '@mui/material/Link';

/** The page's main region: SkipToContent moves the keyboard focus there. */
export const MAIN_CONTENT_ID = 'main-content';

/**
 * The first stop of Tab on every page, hidden until focused: it jumps past the top bar and the
 * navigation to the page itself. A button, not an `#anchor` link: the hash holds the route.
 */
export function SkipToContent() {
  return (
    <Link
      component="button"
      onClick={() => document.getElementById(MAIN_CONTENT_ID)?.focus()}
      sx={{
        position: 'fixed',
        left: 8,
        top: -64,
        zIndex: (theme) => theme.zIndex.tooltip + 1,
        px: 2,
        py: 1,
        borderRadius: 1,
        bgcolor: 'background.paper',
        boxShadow: 3,
        '&:focus-visible': { top: 8 },
      }}
    >
      Skip to content
    </Link>
  );
}
