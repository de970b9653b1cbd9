import { StrictMode, useMemo } from 'react';
import { createRoot } from 'react-dom/client';
import CssBaseline from '@mui/material/CssBaseline';
import { ThemeProvider } from '@mui/material/styles';
import { App } from './App';
import { useStore } from './store';
import { createHyperkeepTheme, useEffectiveMode } from './theme/theme';

function Root() {
  const themeMode = useStore((s) => s.themeMode);
  const effectiveMode = useEffectiveMode(themeMode);
  const theme = useMemo(() => createHyperkeepTheme(effectiveMode), [effectiveMode]);
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline enableColorScheme />
      <App effectiveMode={effectiveMode} />
    </ThemeProvider>
  );
}

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
